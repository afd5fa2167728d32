/** The simulated Espruino and its world: clock, network, flash. */
export { SimEspruino, type SimEspruinoOptions } from "./espruino.ts";
export {
  SimClock,
  DEFAULT_START_EPOCH_MS,
  type ClockTask,
  type IoHandle,
  type SettleOptions,
  type AdvanceAsyncOptions,
  type SimClockOptions,
} from "./clock.ts";
export {
  SimNetwork,
  DEFAULT_WIFI_TIMING,
  type Route,
  type UdpHandler,
  type UdpReply,
  type UdpHandlerOptions,
  type WifiTiming,
  type NetworkStep,
  type SimNetworkOptions,
} from "./network.ts";
export { NorFlash, PowerCutError, type NorFlashOptions, type PowerCut } from "./nor-flash.ts";
export { FlashBus, type FlashPage } from "./flash-bus.ts";
export { JsfStorage, StorageError, type StorageStats } from "./storage.ts";
export { crc32 } from "./crc32.ts";
export { ESPRUINO_VERSION } from "./http.ts";
export type { NetStats } from "./host.ts";
export { installFiles, readBoard, simWorld } from "./testing.ts";
