// Jest runs CommonJS; a few dependencies (@platformatic/kafka and its helpers, jose) ship only as ES
// modules. This transformer hands them to swc for the CommonJS conversion, first replacing
// `import.meta.url`, which has no CommonJS form, with the file's own URL.
'use strict';
const { createTransformer } = require('@swc/jest');

const swc = createTransformer({ jsc: { target: 'es2023' }, module: { type: 'commonjs' } });

module.exports = {
  process(source, filename, options) {
    const patched = source
      // CommonJS has its own `require`, resolving from the same file: drop the ESM stand-in.
      .replace(/^\s*const require = createRequire\(import\.meta\.url\);\s*$/gm, '')
      .replace(/import\.meta\.url/g, "encodeURI('file://' + __filename)");
    return swc.process(patched, filename, options);
  },
  getCacheKey(source, filename, options) {
    return swc.getCacheKey(`esm-to-cjs-v2:${source}`, filename, options);
  },
};
