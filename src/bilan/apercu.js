// bilan serve: the script the preview adds to each page it serves (never to the built site).
// It listens to the preview's events: after a rebuild it shows the new page; while the data has
// errors it shows them in a modal dialog over the last page that built. Every element is made
// with textContent, never from HTML: nothing typed in the data can run here.
(() => {
  "use strict";
  const SCRIPT = "/_apercu/apercu.js";
  const { version, annee } = document.currentScript.dataset;
  let shown = Number(version);
  const NAME = "bilan-apercu";
  const STYLE = `
.${NAME}-barre { position: fixed; right: 0.5rem; bottom: 0.5rem; z-index: 2147483000;
  display: flex; gap: 0.75rem; align-items: center; margin: 0; padding: 0.35rem 0.75rem;
  background: #1e1e1e; color: #ffffff; font: 0.875rem/1.4 system-ui, sans-serif;
  border-radius: 0.25rem; }
.${NAME}-barre p { margin: 0; }
.${NAME}-barre a { color: #ffffff; text-decoration: underline; }
.${NAME}-barre a:focus-visible, .${NAME}-dialogue button:focus-visible {
  outline: 3px solid #ffbf47; outline-offset: 2px; }
.${NAME}-dialogue { max-width: min(48rem, 92vw); max-height: 85vh; overflow: auto;
  padding: 1.25rem 1.5rem; border: 0; border-left: 0.5rem solid #b00020; border-radius: 0.25rem;
  background: #ffffff; color: #1e1e1e; font: 1rem/1.5 system-ui, sans-serif; }
.${NAME}-dialogue::backdrop { background: rgba(0, 0, 0, 0.55); }
.${NAME}-dialogue h2 { margin: 0 0 0.5rem; color: #8a0015; font-size: 1.25rem; }
.${NAME}-dialogue ol { padding-left: 1.5rem; }
.${NAME}-dialogue li { margin: 0 0 1rem; }
.${NAME}-dialogue li p { margin: 0.15rem 0; }
.${NAME}-dialogue code { background: #f0f0f0; color: #1e1e1e; padding: 0 0.25rem;
  font-family: ui-monospace, monospace; word-break: break-all; }
.${NAME}-dialogue button { font: inherit; padding: 0.3rem 0.9rem; color: #ffffff;
  background: #1e1e1e; border: 0; border-radius: 0.25rem; cursor: pointer; }
`;

  function make(tag, attributes = {}, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
    for (const child of children) element.append(child);
    return element;
  }

  document.head.append(make("style", {}, STYLE));
  const status = make("p", { role: "status" }, "Aperçu en direct");
  const pdf = make("a", { href: `/bilan-${annee}.pdf` }, "Version PDF");
  const bar = make(
    "aside",
    { class: `${NAME}-barre`, "aria-label": "Aperçu de bilan serve" },
    status,
    pdf,
  );
  document.body.append(bar);

  const title = make("h2", { id: `${NAME}-titre` }, "Le rapport n'a pas pu être mis à jour");
  const summary = make("p", { id: `${NAME}-resume` });
  const list = make("ol");
  const close = make("button", { type: "button" }, "Fermer");
  const dialog = make(
    "dialog",
    {
      class: `${NAME}-dialogue`,
      role: "alertdialog",
      "aria-labelledby": title.id,
      "aria-describedby": summary.id,
    },
    title,
    summary,
    list,
    close,
  );
  document.body.append(dialog);
  let current = shown;
  let dismissed = -1;
  close.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    dismissed = current;
  });

  function plural(count, word) {
    return `${count} ${word}${count > 1 ? "s" : ""}`;
  }

  function show(state) {
    const items = state.erreurs.map((error) =>
      make(
        "li",
        {},
        make("p", {}, make("code", {}, error.lieu), ` — erreur ${error.code}`),
        make("p", {}, error.message),
        ...(error.conseil ? [make("p", {}, `Conseil : ${error.conseil}`)] : []),
      ),
    );
    if (state.probleme) {
      const { message, conseil } = state.probleme;
      items.push(make("li", {}, make("p", {}, message), ...(conseil ? [make("p", {}, `Conseil : ${conseil}`)] : [])));
    }
    const what = state.probleme ? "Un problème empêche" : `${plural(state.erreurs.length, "erreur")} dans les données empêchent`;
    summary.textContent =
      `${what} de construire le rapport. La page affichée est la dernière version construite ; ` +
      "elle se mettra à jour dès que le fichier corrigé sera enregistré.";
    list.replaceChildren(...items);
    status.textContent = "Erreurs dans les données";
    if (!dialog.open && dismissed !== state.version) dialog.showModal();
  }

  // The new page's content in place of the old one: no new request for the style sheet and
  // this script, no new connection, the scroll position kept (a full reload costs the
  // browser more than the rebuild). A change of the templates (which may change the head,
  // the style sheet) or a restarted preview reloads the whole page.
  async function refresh(state) {
    if (state.version < shown || state.mise_en_page > shown) {
      location.reload();
      return;
    }
    const answer = await fetch(location.href, { cache: "no-store" });
    if (!answer.ok) {
      location.reload(); // the page is gone: the preview says so
      return;
    }
    const fresh = new DOMParser().parseFromString(await answer.text(), "text/html");
    for (const old of fresh.querySelectorAll(`script[src="${SCRIPT}"]`)) old.remove();
    document.title = fresh.title;
    const body = document.adoptNode(fresh.body);
    body.append(bar, dialog);
    document.body.replaceWith(body);
    shown = state.version;
  }

  function handle(state) {
    current = state.version;
    if (state.construction) {
      status.textContent = "Mise à jour…";
      return undefined;
    }
    if (state.erreurs.length > 0 || state.probleme) {
      show(state);
      return undefined;
    }
    if (dialog.open) dialog.close();
    status.textContent = "Aperçu en direct";
    return state.version === shown ? undefined : refresh(state);
  }

  let queue = Promise.resolve();
  const events = new EventSource("/_apercu/evenements");
  events.addEventListener("etat", (event) => {
    const state = JSON.parse(event.data);
    queue = queue.then(() => handle(state)).catch(() => location.reload());
  });
})();
