/**
 * Spans that cost nothing unless someone collects them.
 *
 * `Effect.withSpan` builds a span even under Effect's built-in tracer, which
 * exports nothing: about 7 µs, as much as a whole None commit. Under that
 * tracer a span is visible only to code running inside it (through
 * `Effect.currentSpan`, e.g. in a replay callback), so it is skipped; with
 * any other tracer installed (e.g. `@effect/opentelemetry`) every span is
 * made as usual.
 */
import * as Effect from "effect/Effect"
import type * as Tracer from "effect/Tracer"

const builtInTracer: Tracer.Tracer = Effect.runSync(Effect.tracer)

/** @internal */
export const withSpan = (name: string, options?: Tracer.SpanOptions) =>
<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.tracerWith((tracer) => tracer === builtInTracer ? self : Effect.withSpan(self, name, options))
