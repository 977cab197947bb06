// Snapshot serializer: every 64-hex run (asset hashes in S3 keys, asset paths, image tags) becomes a fixed token,
// so snapshots change when a template changes, not when a bundle's bytes do.
const HASH = /[0-9a-f]{64}/g;
module.exports = {
  test: (value) => typeof value === 'string' && /[0-9a-f]{64}/.test(value),
  serialize: (value, config, indentation, depth, refs, printer) => printer(value.replace(HASH, '<asset-hash>'), config, indentation, depth, refs),
};
