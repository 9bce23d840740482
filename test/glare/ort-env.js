/**
 * Jest environment for tests that use onnxruntime-node: the native binding creates typed arrays
 * of Node's own realm, while jest's sandbox has its own constructors, so ORT's
 * `instanceof Float32Array` checks fail. Sharing the host's typed-array constructors fixes that.
 */
const { TestEnvironment } = require('jest-environment-node');

class OrtEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const k of ['ArrayBuffer', 'Float32Array', 'Float64Array', 'Int8Array', 'Int16Array', 'Int32Array', 'Uint8Array',
      'Uint8ClampedArray', 'Uint16Array', 'Uint32Array', 'BigInt64Array', 'BigUint64Array', 'DataView']) {
      this.global[k] = globalThis[k];
    }
  }
}
module.exports = OrtEnvironment;
