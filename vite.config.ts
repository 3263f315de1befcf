/// <reference types="vitest/config" />
// Vite builds the lab as relative URLs (base './'), so dist/ works from any static server and sub-path.
// The built page carries a strict Content-Security-Policy (docs/hosting in DEVELOPERS.md): scripts,
// workers and fetches only from the lab's own origin — no eval, no inline script. Styles may be
// inline (React style attributes, Monaco's injected sheets); images may be data:/blob: (exports).
// The dev server gets no policy: its hot reload injects inline scripts.
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "worker-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'none'",
].join('; ');

function contentSecurityPolicy(): Plugin {
  return {
    name: 'caretaker-lab-csp',
    apply: 'build',
    transformIndexHtml: (html) => html.replace(/(<meta charset[^>]*>)/, `$1\n    <meta http-equiv="Content-Security-Policy" content="${CSP}" />`),
  };
}

export default defineConfig({
  base: './',
  plugins: [react(), contentSecurityPolicy()],
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 5000 },
  server: { host: '127.0.0.1', port: 5173, strictPort: true },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true },
  test: {
    include: ['tests/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
  },
});
