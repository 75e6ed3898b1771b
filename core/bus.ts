/**
 * A bus between api nodes, as its users see it: `publish` tells every node
 * (this one first, before the promise settles), `subscribe` hears what any
 * node published. `Listeners` is the in-process part every implementation has.
 */
export interface Bus<Message, Listener> {
  publish(message: Message): Promise<void>;
  /** Returns the function that unsubscribes. */
  subscribe(listener: Listener): () => void;
  close?(): Promise<void>;
}

/** The listeners of this process: `add` returns the function that removes one, `each` calls them all. */
export class Listeners<Listener> {
  readonly #set = new Set<Listener>();

  add(listener: Listener): () => void {
    this.#set.add(listener);
    return () => this.#set.delete(listener);
  }

  each(call: (listener: Listener) => void): void {
    for (const listener of this.#set) call(listener);
  }
}
