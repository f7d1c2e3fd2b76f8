/**
 * The embeddable widget's script, served at `/widgets/furrow-link.js`: a custom element
 * `<furrow-link>` that lists the providers a Leaf user can connect and starts the same connection
 * flow as a Magic Link, by a full-page navigation that comes back to the app's page.
 *
 * Written to run under a strict Content-Security-Policy on the app's page: no eval, no inline
 * style attributes or `<style>` (the stylesheet is a constructed one, adopted by the shadow root),
 * no `innerHTML`; the only network use is one `fetch` to Furrow's origin (the script's own).
 *
 * Options (attributes; Leaf Link's props in brackets): `api-key` [apiKey], `company-name`
 * [companyName], `company-logo` [companyLogo], `dark-mode` [isDarkMode], `locale` [locale:
 * en_US, pt_BR, es_ES, fr_FR], `show-searchbar` [showSearchbar, default true], `heading` [title,
 * default "Select your integration"; `title` would also make a tooltip], `return-url` (default:
 * the current page).
 * Events (CustomEvent, bubbling and composed): `providersConnected` with `detail` an array of
 * `{ provider, createdTime }`, and `providerWidgetStatus` with `detail` `{ code, message }`, code
 * -1 error, 0 started, 1 done.
 */

/** The strings of each locale the widget speaks; `en_US` is the fallback. */
export const FURROW_LINK_STRINGS = {
  en_US: {
    title: 'Select your integration',
    search: 'Search providers',
    connect: 'Connect',
    reconnect: 'Reconnect',
    connected: 'Connected',
    loading: 'Loading providers…',
    none: 'No provider can be connected yet.',
    noMatch: 'No provider matches your search.',
    loadFailed: 'The providers could not be loaded. Please try again later.',
    failed: 'The connection did not work.',
    done: '{name} is connected.',
  },
  pt_BR: {
    title: 'Selecione sua integração',
    search: 'Buscar provedores',
    connect: 'Conectar',
    reconnect: 'Reconectar',
    connected: 'Conectado',
    loading: 'Carregando provedores…',
    none: 'Nenhum provedor pode ser conectado ainda.',
    noMatch: 'Nenhum provedor corresponde à sua busca.',
    loadFailed: 'Não foi possível carregar os provedores. Tente novamente mais tarde.',
    failed: 'A conexão não funcionou.',
    done: '{name} está conectado.',
  },
  es_ES: {
    title: 'Seleccione su integración',
    search: 'Buscar proveedores',
    connect: 'Conectar',
    reconnect: 'Reconectar',
    connected: 'Conectado',
    loading: 'Cargando proveedores…',
    none: 'Todavía no se puede conectar ningún proveedor.',
    noMatch: 'Ningún proveedor coincide con su búsqueda.',
    loadFailed: 'No se pudieron cargar los proveedores. Inténtelo de nuevo más tarde.',
    failed: 'La conexión no funcionó.',
    done: '{name} está conectado.',
  },
  fr_FR: {
    title: 'Sélectionnez votre intégration',
    search: 'Rechercher un fournisseur',
    connect: 'Connecter',
    reconnect: 'Reconnecter',
    connected: 'Connecté',
    loading: 'Chargement des fournisseurs…',
    none: 'Aucun fournisseur ne peut encore être connecté.',
    noMatch: 'Aucun fournisseur ne correspond à votre recherche.',
    loadFailed: 'Impossible de charger les fournisseurs. Réessayez plus tard.',
    failed: "La connexion n'a pas abouti.",
    done: '{name} est connecté.',
  },
} as const satisfies Record<string, Record<string, string>>;

export type FurrowLinkLocale = keyof typeof FURROW_LINK_STRINGS;

const STYLES = `:host{display:block;font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#fff;border:1px solid #c4c4c4;border-radius:.5rem;padding:1rem;max-width:36rem;box-sizing:border-box}
:host([dark-mode]:not([dark-mode="false"])){color:#f1f1f1;background:#1e1e1e;border-color:#5a5a5a}
*{box-sizing:border-box}
.brand{display:flex;align-items:center;gap:.5rem;margin-bottom:.5rem}
.brand img{width:40px;height:40px;object-fit:contain}
.brand span{font-weight:600}
h2{font-size:1.25rem;margin:0 0 .75rem}
input{font:inherit;width:100%;min-height:44px;padding:.5rem;border:1px solid #767676;border-radius:.375rem;margin-bottom:.75rem;background:inherit;color:inherit}
ul{list-style:none;margin:0;padding:0;display:grid;gap:.5rem}
li{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem;border:1px solid #c4c4c4;border-radius:.375rem;padding:.5rem .75rem}
li .name{flex:1 1 8rem;font-weight:600}
.badge{background:#1b5e20;color:#fff;border-radius:1rem;padding:0 .6rem;font-size:.875rem}
button{font:inherit;min-height:44px;min-width:44px;padding:.5rem 1rem;border-radius:.375rem;border:2px solid #0b3d91;background:#0b3d91;color:#fff;cursor:pointer}
button:focus-visible,input:focus-visible{outline:3px solid #ff8f00;outline-offset:2px}
.note{margin:.5rem 0}
.error{color:#b3261e}
:host([dark-mode]:not([dark-mode="false"])) .error{color:#ff8a80}`;

const SCRIPT = `(function () {
  'use strict';
  if (typeof customElements === 'undefined' || customElements.get('furrow-link')) return;
  var STRINGS = __STRINGS__;
  var CSS = __CSS__;
  var PARAMS = ['furrowLinkStatus', 'furrowLinkProvider', 'furrowLinkMessage'];
  var script = document.currentScript;
  var defaultBase = script && script.src ? new URL(script.src).origin : location.origin;
  var sheet = null;
  function stylesheet() {
    if (sheet === null && typeof CSSStyleSheet === 'function' && 'replaceSync' in CSSStyleSheet.prototype) {
      sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
    }
    return sheet;
  }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    for (var name in attrs || {}) if (attrs[name] !== undefined && attrs[name] !== null) node.setAttribute(name, attrs[name]);
    (children || []).forEach(function (c) { node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return node;
  }
  /** The outcome the connection flow came back with, removed from the address bar. */
  function takeOutcome() {
    var url = new URL(location.href);
    var status = url.searchParams.get('furrowLinkStatus');
    if (status === null) return null;
    var outcome = { code: Number(status), provider: url.searchParams.get('furrowLinkProvider'), message: url.searchParams.get('furrowLinkMessage') };
    PARAMS.forEach(function (p) { url.searchParams.delete(p); });
    history.replaceState(history.state, '', url.toString());
    return outcome;
  }
  var pendingOutcome;

  class FurrowLink extends HTMLElement {
    static get observedAttributes() { return ['locale', 'heading', 'company-name', 'company-logo', 'show-searchbar']; }
    constructor() {
      super();
      this._root = this.attachShadow({ mode: 'open' });
      var css = stylesheet();
      if (css) this._root.adoptedStyleSheets = [css];
      this._providers = null;
      this._error = null;
      this._query = '';
    }
    get strings() {
      var locale = (this.getAttribute('locale') || 'en_US').replace('-', '_');
      return STRINGS[locale] || STRINGS.en_US;
    }
    connectedCallback() {
      if (pendingOutcome === undefined) pendingOutcome = takeOutcome();
      this._outcome = pendingOutcome;
      pendingOutcome = null;
      this.render();
      this.load();
    }
    attributeChangedCallback() { if (this.isConnected) this.render(); }
    emit(name, detail) { this.dispatchEvent(new CustomEvent(name, { detail: detail, bubbles: true, composed: true })); }
    status(code, message) { this.emit('providerWidgetStatus', { code: code, message: message }); }
    load() {
      var self = this;
      var key = this.getAttribute('api-key');
      var base = (this.getAttribute('furrow-url') || defaultBase).replace(/\\/+$/, '');
      if (!key) { this._error = this.strings.loadFailed; this.render(); this.status(-1, 'Error: the api-key attribute is missing'); return; }
      var back = this.getAttribute('return-url') || location.href.split('#')[0];
      fetch(base + '/widgets/api/link/session', {
        method: 'POST',
        mode: 'cors',
        credentials: 'omit',
        headers: { 'content-type': 'application/json', 'x-furrow-api-key': key },
        body: JSON.stringify({ returnUrl: back }),
      })
        .then(function (r) { return r.json().then(function (body) { if (!r.ok) throw new Error(body && body.message || String(r.status)); return body; }); })
        .then(function (body) {
          self._providers = body.providers;
          self._error = null;
          self.render();
          var outcome = self._outcome;
          self._outcome = null;
          if (outcome && outcome.code === 1) {
            self.emit('providersConnected', body.providers.filter(function (p) { return p.connected; }).map(function (p) { return { provider: p.provider, createdTime: p.createdTime }; }));
            self.status(1, 'Done');
          } else if (outcome && outcome.code === -1) {
            self.status(-1, 'Error: ' + (outcome.message || 'the connection did not work'));
          }
        })
        .catch(function (error) {
          self._error = self.strings.loadFailed;
          self.render();
          self.status(-1, 'Error: ' + error.message);
        });
    }
    start(provider) {
      this.status(0, 'Started');
      location.assign(provider.connectUrl);
    }
    render() {
      var self = this;
      var t = this.strings;
      var root = this._root;
      while (root.firstChild) root.removeChild(root.firstChild);
      var name = this.getAttribute('company-name');
      var logo = this.getAttribute('company-logo');
      var box = el('section', { lang: (this.getAttribute('locale') || 'en_US').replace('_', '-'), 'aria-labelledby': 'furrow-link-title' });
      if (name || logo) box.appendChild(el('div', { class: 'brand' }, [logo ? el('img', { src: logo, alt: name || '' }) : '', name ? el('span', {}, [name]) : ''].filter(Boolean)));
      box.appendChild(el('h2', { id: 'furrow-link-title' }, [this.getAttribute('heading') || t.title]));
      var outcome = this._outcome;
      if (outcome && outcome.code === 1 && this._providers) {
        var done = this._providers.filter(function (p) { return p.provider === outcome.provider; })[0];
        if (done) box.appendChild(el('p', { class: 'note', role: 'status' }, [t.done.replace('{name}', done.name)]));
      }
      if (outcome && outcome.code === -1) box.appendChild(el('p', { class: 'note error', role: 'alert' }, [t.failed]));
      if (this._error) { box.appendChild(el('p', { class: 'note error', role: 'alert' }, [this._error])); root.appendChild(box); return; }
      if (this._providers === null) { box.appendChild(el('p', { class: 'note', role: 'status' }, [t.loading])); root.appendChild(box); return; }
      var list = el('ul', { 'aria-label': t.title });
      var empty = el('p', { class: 'note', role: 'status' }, []);
      function fill() {
        while (list.firstChild) list.removeChild(list.firstChild);
        var q = self._query.trim().toLowerCase();
        var shown = self._providers.filter(function (p) { return q === '' || p.name.toLowerCase().indexOf(q) >= 0; });
        shown.forEach(function (p) {
          var button = el('button', { type: 'button', 'aria-label': (p.connected ? t.reconnect : t.connect) + ' ' + p.name }, [p.connected ? t.reconnect : t.connect]);
          button.addEventListener('click', function () { self.start(p); });
          list.appendChild(el('li', { 'data-provider': p.provider }, [el('span', { class: 'name' }, [p.name]), p.connected ? el('span', { class: 'badge' }, [t.connected]) : '', button].filter(Boolean)));
        });
        empty.textContent = self._providers.length === 0 ? t.none : shown.length === 0 ? t.noMatch : '';
      }
      if (this.getAttribute('show-searchbar') !== 'false' && this._providers.length > 0) {
        var search = el('input', { type: 'search', 'aria-label': t.search, placeholder: t.search, value: this._query });
        search.addEventListener('input', function () { self._query = search.value; fill(); });
        box.appendChild(search);
      }
      fill();
      box.appendChild(list);
      box.appendChild(empty);
      root.appendChild(box);
    }
  }
  customElements.define('furrow-link', FurrowLink);
})();
`;

/** The script as served: the strings and the stylesheet inlined as JSON literals. */
export const FURROW_LINK_SCRIPT = SCRIPT.replace('__STRINGS__', JSON.stringify(FURROW_LINK_STRINGS)).replace('__CSS__', JSON.stringify(STYLES));
