/** The `live` socket event of API.md: the running hour of one device. */
export interface LiveTotal {
  deviceId: string;
  hourStart: string;
  kwh: number;
  rolling60Kwh: number;
  projectedKwh: number;
  at: string;
}
