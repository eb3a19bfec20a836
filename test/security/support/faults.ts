import {
  InternalServerError,
  ProvisionedThroughputExceededException,
  TransactionCanceledException,
  TransactionConflictException,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { count } from './figures.js';

/**
 * Fault injection at the SDK boundary. DynamoDB Local never throttles, never fails
 * half-way and never raises a transaction conflict, so these are thrown here, in the
 * document client's `send`, either before the command reaches DynamoDB (nothing written)
 * or after it succeeded (written, but the caller sees an error: the "did it happen?"
 * case a timeout or a 500 from DynamoDB leaves a client in).
 */

/** One SDK call a request made, in order: the unit a fault is aimed at. */
export interface Step {
  index: number;
  command: string;
  input: Record<string, unknown>;
}

export type Phase = 'before' | 'after';

export interface FaultKind {
  name: string;
  phase: Phase;
  /** Which steps this kind of fault applies to (a conflict only to transactions). */
  appliesTo(step: Step): boolean;
  error(step: Step): Error;
}

interface Rule {
  kind: FaultKind;
  /** The step it strikes: an index, or any step the predicate picks. */
  at: number | ((step: Step) => boolean);
  remaining: number;
}

const metadata = (httpStatusCode: number) => ({
  httpStatusCode,
  requestId: 'injected',
  attempts: 3,
  totalRetryDelay: 0,
});

export const isWrite = (step: Step): boolean =>
  ['TransactWriteCommand', 'PutCommand', 'UpdateCommand', 'DeleteCommand', 'BatchWriteCommand'].includes(step.command);
export const isTransaction = (step: Step): boolean => step.command === 'TransactWriteCommand';

/** Throttling that outlasted the SDK's own retries: nothing was written. */
export const throttled: FaultKind = {
  name: 'throttled before the call',
  phase: 'before',
  appliesTo: () => true,
  error: () =>
    new ProvisionedThroughputExceededException({ message: 'injected: throughput exceeded', $metadata: metadata(400) }),
};

/** DynamoDB answered 500 after committing: the write happened, the caller cannot know. */
export const internalErrorAfterCommit: FaultKind = {
  name: 'HTTP 500 after the write committed',
  phase: 'after',
  appliesTo: isWrite,
  error: () => new InternalServerError({ message: 'injected: internal server error', $metadata: metadata(500) }),
};

/** Another transaction held an item: how real DynamoDB cancels a TransactWriteItems. */
export const transactionConflict: FaultKind = {
  name: 'transaction cancelled by a conflict',
  phase: 'before',
  appliesTo: isTransaction,
  error: (step) => {
    const items = (step.input.TransactItems as unknown[] | undefined)?.length ?? 1;
    // The conflict is on the last item (for token writes, the counter or the credential).
    const reasons = Array.from({ length: items }, (_, i) =>
      i === items - 1
        ? { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' }
        : { Code: 'None' },
    );
    return new TransactionCanceledException({
      message: `injected: Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
      $metadata: metadata(400),
      CancellationReasons: reasons,
    });
  },
};

/** The plain exception DynamoDB raises when a write collides with a running transaction. */
export const transactionConflictException: FaultKind = {
  name: 'TransactionConflictException',
  phase: 'before',
  appliesTo: isWrite,
  error: () =>
    new TransactionConflictException({ message: 'injected: transaction conflict', $metadata: metadata(400) }),
};

/** What the SDK throws when the socket times out on every attempt. */
export const networkTimeout: FaultKind = {
  name: 'network timeout',
  phase: 'before',
  appliesTo: () => true,
  error: () =>
    Object.assign(new Error('injected: the request socket timed out'), {
      name: 'TimeoutError',
      $metadata: { attempts: 3, totalRetryDelay: 300 },
    }),
};

/** What the SDK throws when the connection drops on every attempt. */
export const connectionReset: FaultKind = {
  name: 'connection reset',
  phase: 'before',
  appliesTo: () => true,
  error: () =>
    Object.assign(new Error('injected: read ECONNRESET'), {
      code: 'ECONNRESET',
      errno: -104,
      syscall: 'read',
      $metadata: { attempts: 3 },
    }),
};

type Send = (command: unknown, ...rest: unknown[]) => Promise<unknown>;

export class FaultInjector {
  /** Every SDK call since the last reset, in order. */
  readonly steps: Step[] = [];
  private rules: Rule[] = [];

  private gates: { matches: (step: Step) => boolean; reached: () => void; released: Promise<void> }[] = [];

  constructor(client: DynamoDBDocumentClient) {
    const target = client as unknown as { send: Send };
    const send = target.send.bind(client) as Send;
    target.send = async (command, ...rest) => {
      const step: Step = {
        index: this.steps.length,
        command: (command as object).constructor.name,
        input: ((command as { input?: Record<string, unknown> }).input ?? {}) as Record<string, unknown>,
      };
      this.steps.push(step);
      const gate = this.gates.find((candidate) => candidate.matches(step));
      if (gate) {
        this.gates.splice(this.gates.indexOf(gate), 1);
        gate.reached();
        await gate.released;
      }
      const rule = this.rules.find(
        (candidate) =>
          candidate.remaining > 0 &&
          candidate.kind.appliesTo(step) &&
          (typeof candidate.at === 'number' ? candidate.at === step.index : candidate.at(step)),
      );
      if (rule) rule.remaining -= 1;
      if (rule?.kind.phase === 'before') {
        count('faults');
        throw rule.kind.error(step);
      }
      const result = await send(command, ...rest);
      if (rule?.kind.phase === 'after') {
        count('faults');
        throw rule.kind.error(step);
      }
      return result;
    };
  }

  /** Forgets the recorded steps and every armed fault; step indexes count from here. */
  reset(): void {
    this.steps.length = 0;
    this.rules = [];
    this.gates = [];
  }

  /** Throws `kind` at step `at` (an index since the last reset, or a predicate), `times` times. */
  inject(kind: FaultKind, at: number | ((step: Step) => boolean), times = 1): void {
    this.rules.push({ kind, at, remaining: times });
  }

  /**
   * Holds the first call that `matches` until released: a race forced into one order,
   * so a test of it fails (or passes) every time. `reached` settles when the call is held.
   */
  pause(matches: (step: Step) => boolean): { reached: Promise<void>; release: () => void } {
    let reached!: () => void;
    let release!: () => void;
    const reachedPromise = new Promise<void>((resolve) => (reached = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    this.gates.push({ matches, reached, released });
    return {
      reached: reachedPromise,
      release: () => {
        // A gate never reached must not catch a later call.
        this.gates = this.gates.filter((gate) => gate.released !== released);
        release();
      },
    };
  }

  /** How many armed faults have not struck yet. */
  pending(): number {
    return this.rules.reduce((sum, rule) => sum + rule.remaining, 0);
  }
}
