/**
 * The pages' static assets, served from `/magic-link/assets/`: one stylesheet (mobile first, large
 * targets, visible focus) and the upload page's script (progress through XHR's upload events,
 * then status polling). Kept as strings so the build needs no asset step.
 */

export const STYLESHEET = `*{box-sizing:border-box}
body{margin:0;font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg,#F5F5F5);color:var(--fg,#1a1a1a)}
header.brand{display:flex;align-items:center;gap:.75rem;padding:.75rem 1rem;flex-wrap:wrap}
header .banner{width:100%;max-height:120px;object-fit:cover}
header .logo{width:48px;height:48px;object-fit:contain}
header .company{font-weight:600;font-size:1.125rem}
main{max-width:36rem;margin:0 auto;padding:0 1rem 2rem}
main:focus{outline:none}
h1{font-size:1.5rem;line-height:1.25;margin:1rem 0}
h2{font-size:1.125rem}
ul.providers{list-style:none;padding:0;margin:0;display:grid;gap:.75rem}
li.provider{background:#fff;color:#1a1a1a;border:1px solid #8a8a8a;border-radius:.5rem;padding:.75rem;display:flex;flex-wrap:wrap;align-items:center;gap:.5rem}
li.provider .name{font-weight:600;flex:1 1 10rem}
.actions{display:flex;gap:.5rem;flex-wrap:wrap}
.badge{background:#1b5e20;color:#fff;border-radius:1rem;padding:0 .6rem;font-size:.875rem}
button,.button{min-height:44px;min-width:44px;font:inherit;border-radius:.375rem;padding:.5rem 1rem;cursor:pointer;border:2px solid #0b3d91}
button.primary{background:#0b3d91;color:#fff}
button.secondary{background:#fff;color:#0b3d91}
button:focus-visible,a:focus-visible,input:focus-visible{outline:3px solid #ff8f00;outline-offset:2px}
a{color:inherit;text-decoration:underline}
.stack{display:grid;gap:1rem}
.field{display:grid;gap:.25rem}
label{font-weight:600}
input[type=text],input[type=password],input[type=file]{font:inherit;min-height:44px;padding:.5rem;border:1px solid #5f5f5f;border-radius:.375rem;background:#fff;color:#1a1a1a;width:100%}
progress{width:100%;height:1.25rem}
ul.batches{padding-left:1.25rem;overflow-wrap:anywhere}
.error{background:#fdecea;color:#8a1c13;border-left:4px solid #b3261e;padding:.75rem}
.success{background:#e8f5e9;color:#1b5e20;border-left:4px solid #2e7d32;padding:.75rem}
footer{max-width:36rem;margin:0 auto;padding:1rem;font-size:.875rem}
`;

export const UPLOAD_SCRIPT = `(function () {
  'use strict';
  var form = document.getElementById('upload');
  if (!form) return;
  var link = form.getAttribute('data-link');
  var limit = Number(form.getAttribute('data-limit') || 0);
  var box = document.getElementById('progress-box');
  var bar = document.getElementById('progress');
  var status = document.getElementById('upload-status');
  var list = document.getElementById('batches');
  var WORDS = { RECEIVED: 'Received, waiting to be processed', PROCESSING: 'Processing', PROCESSED: 'Processed', FAILED: 'Failed' };
  function say(text) { status.textContent = text; }
  function describe(b) {
    var text = b.fileName + ': ' + (WORDS[b.status] || b.status);
    var f = b.files || {};
    var parts = [];
    if (f.processed) parts.push(f.processed + ' file' + (f.processed === 1 ? '' : 's') + ' processed');
    if (f.processing) parts.push(f.processing + ' processing');
    if (f.failed) parts.push(f.failed + ' failed');
    if (parts.length) text += ' (' + parts.join(', ') + ')';
    if (b.message) text += '. ' + b.message;
    return text;
  }
  function poll(batchId, item, delay) {
    fetch('/magic-link/' + encodeURIComponent(link) + '/upload/' + encodeURIComponent(batchId), { headers: { accept: 'application/json' } })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
      .then(function (b) {
        item.textContent = describe(b);
        item.setAttribute('data-status', b.status);
        var done = b.status === 'PROCESSED' || b.status === 'FAILED';
        if (done) say(b.status === 'PROCESSED' ? 'Your upload was processed.' : 'Your upload could not be processed.');
        else setTimeout(function () { poll(batchId, item, Math.min(delay * 1.5, 10000)); }, delay);
      })
      .catch(function () { item.textContent = 'Could not read the status; reload the page to try again.'; });
  }
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var input = document.getElementById('file');
    if (!input.files || input.files.length === 0) { say('Choose a file first.'); return; }
    var file = input.files[0];
    if (limit > 0 && file.size > limit) { say('This file is too large for this link. Please split it into several uploads.'); return; }
    var data = new FormData();
    data.append('file', file);
    var xhr = new XMLHttpRequest();
    xhr.open('POST', form.action);
    xhr.setRequestHeader('accept', 'application/json');
    box.hidden = false;
    bar.value = 0;
    form.querySelector('button').disabled = true;
    xhr.upload.onprogress = function (e) { if (e.lengthComputable) { bar.value = Math.round((e.loaded / e.total) * 100); say('Uploading: ' + bar.value + '%'); } };
    xhr.onload = function () {
      form.querySelector('button').disabled = false;
      var body = {};
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = {}; }
      if (xhr.status >= 200 && xhr.status < 300) {
        bar.value = 100;
        say('Uploaded. Processing…');
        var item = document.createElement('li');
        item.setAttribute('data-batch', body.id);
        item.setAttribute('data-status', body.status);
        item.textContent = describe(body);
        list.appendChild(item);
        poll(body.id, item, 1000);
        form.reset();
      } else {
        say(body.message || 'The upload did not work. Please try again.');
      }
    };
    xhr.onerror = function () { form.querySelector('button').disabled = false; say('The upload was interrupted. Please try again.'); };
    xhr.send(data);
    say('Uploading…');
  });
})();
`;
