/** Which roles one EMS process plays (`ems start`: all; `ems api`, `ems runtime`: one). */
export interface Roles {
  api: boolean;
  runtime: boolean;
  /**
   * Without the api: still answer /healthz, /readyz and /metrics on PORT, so an
   * orchestrator can probe a runtime node (compose.yaml does).
   */
  ops?: boolean;
}
