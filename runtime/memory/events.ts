/**
 * In-process event publisher: the single-process gateway subscribes and
 * forwards each event to its Socket.IO rooms, standing in for the Redis
 * emitter → adapter path of the distributed mode.
 */
import type { EventPublisher, EventSource } from '../types.ts';

export type EventListener = (rooms: string[], event: string, payload: unknown) => void;

export class MemoryEventPublisher implements EventPublisher, EventSource {
  readonly #listeners = new Set<EventListener>();
  readonly #onListenerError: (error: unknown) => void;

  /** `onListenerError` receives what a listener throws, so one bad listener cannot break `emit`. */
  constructor(onListenerError: (error: unknown) => void = () => {}) {
    this.#onListenerError = onListenerError;
  }

  emit(rooms: string[], event: string, payload: unknown): boolean {
    for (const listener of this.#listeners) {
      try {
        listener(rooms, event, payload);
      } catch (error) {
        this.#onListenerError(error);
      }
    }
    return true;
  }

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }
}
