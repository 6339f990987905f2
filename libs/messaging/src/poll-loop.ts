import { isTransientInfrastructureError } from './errors';
import type { Logger } from 'pino';

/**
 * Runs `round` again and again until stopped: at once when it did some work, else after
 * `intervalMs` (or when woken). Errors are logged and the loop goes on; a database that is away
 * is a warning, not an error.
 */
export class PollLoop {
  private running = false;
  private loop?: Promise<void>;
  private wakeUp?: () => void;

  constructor(
    private readonly name: string,
    private readonly intervalMs: number,
    private readonly round: () => Promise<number>,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
  }

  wake(): void {
    this.wakeUp?.();
  }

  private async run(): Promise<void> {
    while (this.running) {
      let done = 0;
      try {
        done = await this.round();
      } catch (error) {
        const level = isTransientInfrastructureError(error) ? 'warn' : 'error';
        this.logger[level]({ err: error }, `${this.name}: round failed`);
      }
      if (done === 0 && this.running) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.intervalMs);
          this.wakeUp = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
  }
}
