/** Most items a list scans (the document store's find limit): older ones are not listed. */
export const maxListed = 10_000;
