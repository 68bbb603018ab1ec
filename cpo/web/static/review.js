// Intake and marking, progressively: zoom a page image, and follow an intake's progress.
// Every page works without this script (links open the image full size; "Check progress
// again" reloads the status page).

// Zoom: a button under each page image shows it twice as large, scrolled in its box.
for (const figure of document.querySelectorAll("[data-zoom]")) {
  const image = figure.querySelector("img");
  if (!image) continue;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "govuk-button govuk-button--secondary app-page__zoom";
  button.textContent = "Zoom in";
  button.setAttribute("aria-pressed", "false");
  button.addEventListener("click", () => {
    const zoomed = figure.classList.toggle("app-page--zoomed");
    button.textContent = zoomed ? "Zoom out" : "Zoom in";
    button.setAttribute("aria-pressed", String(zoomed));
    if (zoomed) figure.tabIndex = 0; else figure.removeAttribute("tabindex");
  });
  figure.append(button);
}

// Progress: ask the server every second, update the words and bar, show the result when done.
const progress = document.querySelector("[data-progress]");
if (progress) {
  const text = progress.querySelector("[role=status]");
  const bar = progress.querySelector("progress");
  const poll = async () => {
    const answer = await fetch(progress.dataset.progress, { credentials: "same-origin" });
    if (!answer.ok) return;
    const state = await answer.json();
    if (state.done) {
      window.location.reload();
      return;
    }
    text.textContent = `${state.read} of ${state.pages || "?"} pages read; ${state.files} files done.`;
    bar.max = state.pages || 1;
    bar.value = state.read;
    setTimeout(poll, 1000);
  };
  setTimeout(poll, 1000);
}

// Drag and drop: files dropped on the upload box join the file input, and their names
// are read out. Without this script the input still takes several files at once.
const zone = document.querySelector("[data-drop-zone]");
if (zone) {
  const input = zone.querySelector("input[type=file]");
  const chosen = zone.querySelector(".app-drop-zone__chosen");
  const show = () => {
    const names = Array.from(input.files, (file) => file.name);
    chosen.textContent = names.length ? `Chosen: ${names.join(", ")}` : "";
  };
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("app-drop-zone--over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("app-drop-zone--over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("app-drop-zone--over");
    const files = new DataTransfer();
    for (const file of [...input.files, ...event.dataTransfer.files]) files.items.add(file);
    input.files = files.files;
    show();
  });
  input.addEventListener("change", show);
}
