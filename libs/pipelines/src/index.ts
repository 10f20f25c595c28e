export { ancestorsOf, topologicalOrder } from './dag-order.ts';
export { checkForEachItemsKnownNow, forEachItemsOf, maxForEachItems, parameterDefaults } from './for-each.ts';
export { type PipelineScope, pipelineReferenceProblem, pipelineResolver } from './pipeline-references.ts';
export { checkParameterNames, resolveRunParameters } from './run-parameters.ts';
export {
  checkReferences,
  expressionsIn,
  type ResolveReference,
  referencesIn,
  renderJson,
  renderObject,
  renderTemplate,
  stringsIn,
  TemplateError,
} from './templates.ts';
export { parseDurationMs, type TemplateExpression } from './time-shift.ts';
export {
  inputsKey,
  type ValidatePipelineSpecOptions,
  validatePipelineSpec,
} from './validate-pipeline-spec.ts';
