/**
 * Just enough of CanvasRenderingContext2D to record the timeline's drawing as SVG: rectangles,
 * paths, text, dashes, alpha, translation and clipping — the calls render.ts makes. Text is
 * measured with a real canvas so labels fit as they do on screen; every string is escaped.
 */

interface State {
  fillStyle: string;
  strokeStyle: string;
  lineWidth: number;
  font: string;
  globalAlpha: number;
  dash: number[];
  tx: number;
  ty: number;
  /** How many clip groups this state opened (closed again by restore()). */
  groups: number;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const num = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2));

/** "600 10px system-ui, sans-serif" → SVG font attributes. */
function fontAttrs(font: string): string {
  const m = /^(?:(\w+)\s+)?(\d+(?:\.\d+)?)px\s+(.+)$/.exec(font.trim());
  if (!m) return `font-size="10"`;
  const weight = m[1] && m[1] !== 'normal' ? ` font-weight="${esc(m[1])}"` : '';
  return `font-size="${m[2]}" font-family="${esc(m[3])}"${weight}`;
}

export class SvgContext {
  private state: State = { fillStyle: '#000', strokeStyle: '#000', lineWidth: 1, font: '10px sans-serif', globalAlpha: 1, dash: [], tx: 0, ty: 0, groups: 0 };
  private stack: State[] = [];
  private path = '';
  private out: string[] = [];
  private defs: string[] = [];
  private clips = 0;

  constructor(
    readonly width: number,
    readonly height: number,
    private readonly measurer: { font: string; measureText(t: string): { width: number } },
  ) {}

  get fillStyle(): string {
    return this.state.fillStyle;
  }
  set fillStyle(v: string) {
    this.state.fillStyle = String(v);
  }
  get strokeStyle(): string {
    return this.state.strokeStyle;
  }
  set strokeStyle(v: string) {
    this.state.strokeStyle = String(v);
  }
  get lineWidth(): number {
    return this.state.lineWidth;
  }
  set lineWidth(v: number) {
    this.state.lineWidth = v;
  }
  get font(): string {
    return this.state.font;
  }
  set font(v: string) {
    this.state.font = v;
  }
  get globalAlpha(): number {
    return this.state.globalAlpha;
  }
  set globalAlpha(v: number) {
    this.state.globalAlpha = v;
  }

  setLineDash(d: number[]): void {
    this.state.dash = [...d];
  }
  setTransform(): void {
    // the page's device-pixel scaling does not apply to a vector image
  }
  translate(x: number, y: number): void {
    this.state.tx += x;
    this.state.ty += y;
  }
  save(): void {
    this.stack.push({ ...this.state, dash: [...this.state.dash] });
    this.state.groups = 0;
  }
  restore(): void {
    for (let i = 0; i < this.state.groups; i++) this.out.push('</g>');
    const prev = this.stack.pop();
    if (prev) this.state = prev;
  }
  private opacity(): string {
    return this.state.globalAlpha < 1 ? ` opacity="${num(this.state.globalAlpha)}"` : '';
  }
  clearRect(): void {
    // the export starts from a blank image
  }
  fillRect(x: number, y: number, w: number, h: number): void {
    this.out.push(`<rect x="${num(x + this.state.tx)}" y="${num(y + this.state.ty)}" width="${num(w)}" height="${num(h)}" fill="${esc(this.state.fillStyle)}"${this.opacity()}/>`);
  }
  fillText(text: string, x: number, y: number): void {
    this.out.push(`<text x="${num(x + this.state.tx)}" y="${num(y + this.state.ty)}" ${fontAttrs(this.state.font)} fill="${esc(this.state.fillStyle)}"${this.opacity()}>${esc(text)}</text>`);
  }
  measureText(text: string): { width: number } {
    this.measurer.font = this.state.font;
    return { width: this.measurer.measureText(text).width };
  }
  beginPath(): void {
    this.path = '';
  }
  moveTo(x: number, y: number): void {
    this.path += `M${num(x + this.state.tx)} ${num(y + this.state.ty)}`;
  }
  lineTo(x: number, y: number): void {
    this.path += `L${num(x + this.state.tx)} ${num(y + this.state.ty)}`;
  }
  closePath(): void {
    this.path += 'Z';
  }
  rect(x: number, y: number, w: number, h: number): void {
    const X = x + this.state.tx;
    const Y = y + this.state.ty;
    this.path += `M${num(X)} ${num(Y)}h${num(w)}v${num(h)}h${num(-w)}Z`;
  }
  fill(): void {
    if (this.path) this.out.push(`<path d="${this.path}" fill="${esc(this.state.fillStyle)}"${this.opacity()}/>`);
  }
  stroke(): void {
    if (!this.path) return;
    const dash = this.state.dash.length ? ` stroke-dasharray="${this.state.dash.map(num).join(' ')}"` : '';
    this.out.push(`<path d="${this.path}" fill="none" stroke="${esc(this.state.strokeStyle)}" stroke-width="${num(this.state.lineWidth)}"${dash}${this.opacity()}/>`);
  }
  clip(): void {
    const id = `clip${this.clips++}`;
    this.defs.push(`<clipPath id="${id}"><path d="${this.path}"/></clipPath>`);
    this.out.push(`<g clip-path="url(#${id})">`);
    this.state.groups++;
  }

  /** The drawing so far as a standalone SVG document. */
  toSvg(title: string): string {
    const open = this.stack.reduce((n, s) => n + s.groups, this.state.groups);
    return [
      `<svg xmlns="http://www.w3.org/2000/svg" width="${this.width}" height="${this.height}" viewBox="0 0 ${this.width} ${this.height}">`,
      `<title>${esc(title)}</title>`,
      `<defs>${this.defs.join('')}</defs>`,
      `<rect width="100%" height="100%" fill="#ffffff"/>`,
      ...this.out,
      '</g>'.repeat(open),
      '</svg>',
    ].join('\n');
  }
}
