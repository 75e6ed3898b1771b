/**
 * The simulator's public surface: `runSimulate` for `ems simulate …`,
 * `startDemoSimulator` for `ems start --demo`, and the transport seam
 * (`ReadingSink`, `HttpSink`, `RedisSink`) for other sinks and end-to-end tests;
 * `KeptOutput` for callers that capture what it prints.
 */
export { type DemoSimulator, type DemoSimulatorOptions, startDemoSimulator } from './demo.ts';
export { type BackfillDevice, backfillDemo } from './demo-backfill.ts';
export { HttpSink, type HttpSinkOptions } from './http-sink.ts';
export { KeptOutput } from './progress.ts';
export { RedisSink, type RedisSinkOptions } from './redis-sink.ts';
export { runSimulate, type SimulateIo } from './simulate.ts';
export type { Reading, ReadingSink, RetryEvent, SinkAck } from './sink.ts';
export { SinkRejectedError } from './sink.ts';
