/** Every event core emits has a string `type` discriminant. */
// @ts-nocheck

export interface DrainkitEvent {
  readonly type: string;
}

/** Where core sends its typed events (SSE feed, audit, simulator trace). */
export interface EventSink<E extends DrainkitEvent = DrainkitEvent> {
  emit(event: E): void;
}

/** An event sink that drops everything. */
export const nullEventSink: EventSink<never> = { emit: () => {} };
