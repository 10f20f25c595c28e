import { type Html, html } from '../view/html.ts';

/** A link to an experiment's page. */
export const experimentLink = (experiment: string): Html =>
  html`<a class="experiment" href="/experiments/${encodeURIComponent(experiment)}">${experiment}</a>`;
