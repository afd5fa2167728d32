// @ts-nocheck: Espruino globals (E, getTime, print, global) are not in the host tsconfig; the
// device modules it wires are type-checked on their own (tsconfig.device.json).
// Firmware entry of test/store-bundle.test.ts: the real store over the real hardware boundary,
// built for the board and run in the simulated Espruino. `t.open(options)` mounts a store on the
// device's Flash and hands it to the test, which drives it from the host.
import { espruinoHal } from "../../src/device/espruino-hal.ts";
import { createStore } from "../../src/device/store/maintenance.ts";

const hal = espruinoHal({ hasWifi: false });

global.t = {
  open: function (o) {
    return createStore({ hal: hal, region: o.region, sectorPages: o.sectorPages, datastreams: o.datastreams });
  },
};
