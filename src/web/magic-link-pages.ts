/**
 * The pages of a Magic Link (SPEC section 10): the provider chooser, the form of a provider without
 * OAuth, success with the next step, removal, the file upload, and every failure. Each takes what
 * the service answered and the link's branding; none prints a secret, a token or a stack trace.
 */
import { html, page, type Branding, type Html } from './html.js';

/** A provider as the chooser shows it. */
export interface ChoiceView {
  id: string;
  name: string;
  connected: boolean;
  status: string | undefined;
}

const form = (action: string, label: string, options: { className?: string; name?: string } = {}) =>
  html`<form method="post" action="${action}"><button type="submit" class="${options.className ?? 'primary'}"${options.name === undefined ? '' : html` aria-label="${options.name}"`}>${label}</button></form>`;

/** The chooser: every provider of the link, connected ones marked, with removal when allowed. */
export function chooserPage(input: { linkId: string; branding: Branding; nonce: string; userName: string | undefined; providers: readonly ChoiceView[]; disconnectEnabled: boolean; single: boolean }): string {
  const base = `/magic-link/${encodeURIComponent(input.linkId)}`;
  const items = input.providers.map((p) => {
    const connectLabel = p.connected ? `Reconnect ${p.name}` : `Connect ${p.name}`;
    const badge = p.connected ? html`<span class="badge" role="status">Connected${p.status !== undefined && p.status !== 'OK' ? html` (${p.status})` : ''}</span>` : '';
    const remove = p.connected && input.disconnectEnabled ? form(`${base}/disconnect/${encodeURIComponent(p.id)}`, `Remove ${p.name}`, { className: 'secondary' }) : '';
    return html`<li class="provider" data-provider="${p.id}"><span class="name">${p.name}</span>${badge}<div class="actions">${form(`${base}/connect/${encodeURIComponent(p.id)}`, connectLabel)}${remove}</div></li>`;
  });
  const greeting = input.userName === undefined ? '' : html`<p>Signed in as <strong>${input.userName}</strong>.</p>`;
  const body: Html =
    input.providers.length === 0
      ? html`${greeting}<p>No provider can be connected through this link yet. Please tell the app's support.</p>`
      : html`${greeting}<p>${input.single ? 'Connect your account below.' : 'Choose the service that holds your farm data. You will sign in there and allow access; nothing else is shared.'}</p>
<ul class="providers" aria-label="Providers">${items}</ul>`;
  return page({ title: input.single ? `Connect ${input.providers[0]?.name ?? 'your account'}` : 'Connect your farm data', branding: input.branding, nonce: input.nonce, body });
}

/** The form of a provider without OAuth; secret fields are never filled back in. */
export function providerFormPage(input: {
  linkId: string;
  branding: Branding;
  nonce: string;
  providerId: string;
  providerName: string;
  fields: readonly { name: string; label: string; secret: boolean }[];
  values?: Readonly<Record<string, string>>;
  error?: string | undefined;
}): string {
  const action = `/magic-link/${encodeURIComponent(input.linkId)}/form/${encodeURIComponent(input.providerId)}`;
  const fields = input.fields.map(
    (f) => html`<div class="field"><label for="f-${f.name}">${f.label}</label><input id="f-${f.name}" name="${f.name}" type="${f.secret ? 'password' : 'text'}" required autocomplete="${f.secret ? 'current-password' : 'off'}" value="${f.secret ? '' : (input.values?.[f.name] ?? '')}"${input.error === undefined ? '' : html` aria-describedby="form-error"`}></div>`,
  );
  const error = input.error === undefined ? '' : html`<p id="form-error" class="error" role="alert">${input.error}</p>`;
  const body = html`<p>Enter your ${input.providerName} details. They are sent to ${input.providerName} to check them and stored encrypted.</p>
${error}
<form method="post" action="${action}" class="stack">${fields}<button type="submit" class="primary">Connect ${input.providerName}</button></form>
<p><a href="/magic-link/${input.linkId}">Back to the list</a></p>`;
  return page({ title: `Connect ${input.providerName}`, branding: input.branding, nonce: input.nonce, body });
}

/** Success, with the provider's next step (organizations still to connect, each with its link). */
export function successPage(input: { linkId: string; branding: Branding; nonce: string; providerName: string; status: string; organizationsToConnect: readonly { id: string; name: string; connectUrl: string | null }[] }): string {
  const pending = input.status === 'OK' ? '' : html`<p>${input.providerName} could not be reached to finish checking; it will be checked again shortly.</p>`;
  const orgs =
    input.organizationsToConnect.length === 0
      ? ''
      : html`<section aria-labelledby="next"><h2 id="next">One more step</h2>
<p>These ${input.providerName} organizations are not shared yet. Open each one and allow access so its data can be read:</p>
<ul class="orgs">${input.organizationsToConnect.map((o) => html`<li>${o.connectUrl === null ? o.name : html`<a href="${o.connectUrl}" rel="noopener">Connect ${o.name}</a>`}</li>`)}</ul></section>`;
  const body = html`<p class="success" role="status">Your ${input.providerName} account is connected.</p>${pending}${orgs}
<p><a href="/magic-link/${input.linkId}">Back to the list</a></p>`;
  return page({ title: `${input.providerName} connected`, branding: input.branding, nonce: input.nonce, body });
}

/** After a removal. */
export function disconnectedPage(input: { linkId: string; branding: Branding; nonce: string; providerName: string }): string {
  const body = html`<p role="status">${input.providerName} is no longer connected.</p><p><a href="/magic-link/${input.linkId}">Back to the list</a></p>`;
  return page({ title: `${input.providerName} removed`, branding: input.branding, nonce: input.nonce, body });
}

/** The failures a page can end on, each with a title and what the grower can do. */
export type FailureKind =
  | 'unknown'
  | 'deleted'
  | 'expired'
  | 'used_up'
  | 'state_missing'
  | 'state_unknown'
  | 'state_expired'
  | 'state_replayed'
  | 'state_mismatch'
  | 'provider'
  | 'not_offered';

const FAILURES: Record<FailureKind, { title: string; text: string }> = {
  unknown: { title: 'This link is not valid', text: 'The address may be mistyped or cut off. Please ask the app that sent it for a new link.' },
  deleted: { title: 'This link was withdrawn', text: 'The app that sent it deleted it. Please ask them for a new link.' },
  expired: { title: 'This link has expired', text: 'Links work for a limited time. Please ask the app that sent it for a new link.' },
  used_up: { title: 'This link has been used up', text: 'It has been used as many times as allowed. Please ask the app that sent it for a new link.' },
  state_missing: { title: 'The sign-in could not be completed', text: 'The provider sent you back without the information needed to finish. Please start again from your link.' },
  state_unknown: { title: 'The sign-in could not be completed', text: 'This sign-in was not started here, or it is too old. Please start again from your link.' },
  state_expired: { title: 'The sign-in took too long', text: 'For your safety a sign-in must finish within ten minutes. Please start again from your link.' },
  state_replayed: { title: 'This sign-in was already used', text: 'Each sign-in can complete once. If your account is not connected yet, please start again from your link.' },
  state_mismatch: { title: 'The sign-in was started in another browser', text: 'For your safety, finish the sign-in in the browser where you started it, or start again from your link here.' },
  provider: { title: 'The connection did not work', text: '' },
  not_offered: { title: 'This cannot be done here', text: '' },
};

/** A failure page: a clear title, what happened in plain words, and a way back when there is one. */
export function failurePage(input: { kind: FailureKind; branding: Branding; nonce: string; message?: string | undefined; linkId?: string | undefined }): string {
  const failure = FAILURES[input.kind];
  const back = input.linkId === undefined ? '' : html`<p><a href="/magic-link/${input.linkId}">Back to the list</a></p>`;
  const body = html`<p class="error" role="alert" data-failure="${input.kind}">${input.message ?? failure.text}</p>${back}`;
  return page({ title: failure.title, branding: input.branding, nonce: input.nonce, body });
}

/** Bytes as people read them: "3 GB", "500 MB". */
function sizeText(bytes: number): string {
  const units: [number, string][] = [[2 ** 30, 'GB'], [2 ** 20, 'MB'], [2 ** 10, 'KB']];
  for (const [size, unit] of units) if (bytes >= size) return `${Math.floor((bytes / size) * 10) / 10} ${unit}`;
  return `${bytes} bytes`;
}

/** The file-upload page: pick a file, upload with progress, then each batch's processing status. */
export function uploadPage(input: { linkId: string; branding: Branding; nonce: string; userName: string | undefined; limitBytes?: number | undefined }): string {
  const greeting = input.userName === undefined ? '' : html`<p>Uploading for <strong>${input.userName}</strong>.</p>`;
  const limit = input.limitBytes === undefined ? '' : html` Up to ${sizeText(input.limitBytes)} per upload.`;
  const body = html`${greeting}<p>Upload machine data files (ISOXML TASKDATA zip, shapefiles zip, John Deere, CNH or other exports). Each upload becomes a batch that is processed into your field operations.${limit}</p>
<form id="upload" class="stack" method="post" action="/magic-link/${input.linkId}/upload" enctype="multipart/form-data" data-link="${input.linkId}"${input.limitBytes === undefined ? '' : html` data-limit="${String(input.limitBytes)}"`}>
<div class="field"><label for="file">Machine data file</label><input id="file" name="file" type="file" required></div>
<button type="submit" class="primary">Upload</button>
</form>
<div class="field" hidden id="progress-box"><label for="progress">Upload progress</label><progress id="progress" max="100" value="0"></progress></div>
<p id="upload-status" role="status" aria-live="polite"></p>
<ul id="batches" class="batches" aria-label="Uploaded batches"></ul>`;
  return page({ title: 'Upload machine data', branding: input.branding, nonce: input.nonce, body, scripts: ['/magic-link/assets/upload.js'] });
}
