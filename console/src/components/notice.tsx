import type { Message } from '../problems';

/** An error or refusal, said with what to do next; announced when it appears. */
export function ErrorNotice({ message, id }: { message: Message; id?: string }) {
  return (
    <div class="notice error" role="alert" id={id}>
      <p>{message.text}</p>
      {message.hint && <p class="hint">{message.hint}</p>}
    </div>
  );
}

/** A polite status line for what just happened ("Token suspended"). */
export function Status({ text }: { text: string }) {
  return (
    <p class="status" role="status" aria-live="polite">
      {text}
    </p>
  );
}
