import { AppError } from '@flywheel/core';

/** Most tags one run carries. */
export const maxTags = 20;
const tagPattern = /^[a-z0-9][a-z0-9._-]*$/;

/** SubmitRunRequest.tags checked: at most {@link maxTags}, each like an experiment name (≤ 63 characters). */
export function checkedTags(tags: readonly string[]): string[] {
  if (tags.length > maxTags)
    throw AppError.invalidArgument('tags', `at most ${maxTags} tags, got ${tags.length}`);
  tags.forEach((tag, index) => {
    if (!tagPattern.test(tag) || tag.length > 63) {
      throw AppError.invalidArgument(
        `tags[${index}]`,
        `"${tag}" must be 1 to 63 of a-z, 0-9, '.', '_', '-', starting with a letter or digit`,
      );
    }
  });
  return [...tags];
}
