/**
 * @module cli/status-board
 * Live progress on stderr. On a terminal, one line per file, redrawn in place (upload bar, then
 * job status). Elsewhere (CI logs, pipes), plain lines, one per change of phase, never a
 * carriage return.
 */

export interface ErrorStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export class StatusBoard {
  readonly #stream: ErrorStream;
  readonly #tty: boolean;
  readonly #rows = new Map<string, string>();
  readonly #lastPlain = new Map<string, string>();
  #drawn = 0;

  constructor(stream: ErrorStream) {
    this.#stream = stream;
    this.#tty = stream.isTTY === true;
  }

  get interactive(): boolean {
    return this.#tty;
  }

  /**
   * Sets the row for `key`. On a terminal the row is redrawn; otherwise `plain` (when given and
   * different from the last plain line for `key`) is printed as a line of its own.
   */
  update(key: string, line: string, plain?: string): void {
    if (this.#tty) {
      if (this.#rows.get(key) === line) return;
      this.#rows.set(key, line);
      this.#render();
    } else if (plain !== undefined && this.#lastPlain.get(key) !== plain) {
      this.#lastPlain.set(key, plain);
      this.#stream.write(`${plain}\n`);
    }
  }

  #render(): void {
    const width = Math.max(20, (this.#stream.columns ?? 80) - 1);
    let out = this.#drawn > 0 ? `\x1b[${this.#drawn}A` : '';
    for (const line of this.#rows.values()) {
      out += `\r\x1b[2K${line.length > width ? `${line.slice(0, width - 1)}…` : line}\n`;
    }
    this.#drawn = this.#rows.size;
    this.#stream.write(out);
  }
}

/** `[#######.............]  35%` */
export function progressBar(done: number, total: number, width = 20): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(fraction * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}%`;
}
