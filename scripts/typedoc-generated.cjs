// TypeDoc plugin (typedoc.json `plugin`): exempts the generated protocol sources from
// `validation.notDocumented`. Those files come from the server's own `generate-ts` (src/protocol/generated/, generated-experimental/)
// or from scripts/gen-protocol.js (src/protocol/*.generated.ts) and are not edited by hand, so their
// members cannot carry our doc comments; the scope is eslint's ignores for generated code. After
// conversion, before validation, each reflection declared there that the check would report (a
// documentable kind, not inside a parameter, with no comment) is added to `intentionallyNotDocumented`.
// Every hand-written declaration is still held to a doc comment.
'use strict';
const { Converter, ReflectionKind } = require('typedoc');

const GENERATED = /^src\/protocol\/(generated(-experimental)?\/.*|[^/]+\.generated)\.ts$/;
const SIGNATURES =
  ReflectionKind.CallSignature | ReflectionKind.ConstructorSignature | ReflectionKind.GetSignature | ReflectionKind.SetSignature;

/** @param {import('typedoc').Application} app */
exports.load = function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_END, (context) => {
    const project = context.project;
    const required = app.options.getValue('requiredToBeDocumented').reduce((k, name) => k | ReflectionKind[name], 0);
    const names = new Set(app.options.getValue('intentionallyNotDocumented'));
    for (const ref of Object.values(project.reflections)) {
      const id = project.getSymbolIdFromReflection(ref);
      if (!id || !GENERATED.test(id.packagePath)) continue;
      const kindRequired = ref.kindOf(SIGNATURES) ? ref.parent && ref.parent.kindOf(required) : ref.kindOf(required);
      if (!kindRequired || insideParameter(ref)) continue;
      if (ref.hasComment() || (ref.kindOf(SIGNATURES) && ref.parent && ref.parent.hasComment())) continue;
      names.add(ref.getFriendlyFullName());
    }
    app.options.setValue('intentionallyNotDocumented', [...names]);
  });
};

function insideParameter(ref) {
  for (let r = ref.parent; r; r = r.parent) if (r.kindOf(ReflectionKind.Parameter)) return true;
  return false;
}
