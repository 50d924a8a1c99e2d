// The frame format of gv-bin/1 (docs/binary-codec.md), shared by encoder and decoder.

// Frame tag: high nibble is the kind, low nibble the flags of an update.
export const UPDATE = 0x10
export const SYNC_FRAME = 0x20
export const JSON_FRAME = 0x30
// Update flags, bits 0-1: the shape of the change.
export const STR_VALUE = 0 // [key, string]
export const JSON_VALUE = 1 // [key, any JSON]
export const DELETE = 2 // [key]
export const JSON_CHANGE = 3 // any change, as JSON text
export const F64_TS = 4 // timestamp as a float64, not a delta
export const SIGNED = 8 // a signature follows
