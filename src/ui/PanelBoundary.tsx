/**
 * Error boundaries per panel: a panel that throws while rendering shows what went wrong in its own
 * place, with a button to try again, and the rest of the lab keeps working. Tests and the soak run
 * can break a panel on purpose (window.caretakerLab.injectPanelFailure) to prove it.
 */
import { Component, useSyncExternalStore, type ReactNode } from 'react';

const failures = new Set<string>();
const listeners = new Set<() => void>();
const subscribe = (l: () => void) => {
  listeners.add(l);
  return () => listeners.delete(l);
};

/** Makes the named panel throw on its next render (until it is retried). */
export function injectPanelFailure(name: string): void {
  failures.add(name);
  for (const l of listeners) l();
}

function FailPoint({ name }: { name: string }) {
  const broken = useSyncExternalStore(subscribe, () => failures.has(name));
  if (broken) throw new Error(`a failure injected into the ${name} panel`);
  return null;
}

interface Props {
  name: string;
  /** What the reader calls it ("the timeline", "the details panel"). */
  label: string;
  children: ReactNode;
}

export class PanelBoundary extends Component<Props, { error: Error | null }> {
  state: { error: Error | null } = { error: null };

  static getDerivedStateFromError(error: unknown) {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  retry = () => {
    failures.delete(this.props.name);
    this.setState({ error: null });
  };

  render() {
    const { error } = this.state;
    if (error) {
      return (
        <section className="panel panel-error" role="alert" data-testid={`panel-error-${this.props.name}`}>
          <strong>{this.props.label[0].toUpperCase() + this.props.label.slice(1)} failed:</strong> {error.message}. The rest of the lab still works.{' '}
          <button type="button" onClick={this.retry}>
            Try again
          </button>
        </section>
      );
    }
    return (
      <>
        <FailPoint name={this.props.name} />
        {this.props.children}
      </>
    );
  }
}
