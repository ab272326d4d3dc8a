"""The dashboard's header: title, status, picker, upload, download, board pack, present mode.

The header also holds undo, redo and reset. Widgets only. Opening a scenario (picked or
uploaded) reads the file and hands its mapping to the page, which validates and evaluates it
like any other structure change (:meth:`cxroi.app.dashboard.Dashboard._apply_structure`);
nothing is opened from a path a browser sends, only from the picker's own list. The board pack
is :func:`cxroi.outputs.boardpack.board_pack_html` of the case on screen, printed to PDF.
"""

from __future__ import annotations

import copy
import html
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets as W

import cxroi
from cxroi.app import views
from cxroi.app.editor import echo, issue_text
from cxroi.app.page import Page
from cxroi.app.timelimit import TimeLimitExceeded
from cxroi.model.scenario import parse_yaml, read_yaml

__all__ = ["MAX_UPLOAD_BYTES", "HeaderMixin"]

log = logging.getLogger("cxroi.app.dashboard")

#: Largest scenario file accepted by the upload button [bytes].
MAX_UPLOAD_BYTES = 1_000_000


class HeaderMixin(Page):
    """The header bar of :class:`cxroi.app.dashboard.Dashboard` and what its controls do."""

    def _build_header(self) -> None:
        """Make the header's widgets (``self.header``), every control on one row."""
        self.title = W.HTML()
        self.picker = W.Dropdown(
            options=self._picker_options(),
            value="",
            tooltip="Open another scenario",
            layout=W.Layout(width="170px"),
        )
        self.picker.add_class("cxroi-picker")
        self.picker.observe(self._picked, "value")
        self.upload = self._header_control(
            W.FileUpload,
            "Upload",
            "Upload a scenario file (YAML)",
            "92px",
            "cxroi-upload",
            self._uploaded,
            accept=".yaml,.yml",
            multiple=False,
        )
        self.download = W.HTML()
        # The header holds every control on one row from 1280 px: short labels, the full
        # meaning in each control's tooltip (its title attribute).
        self.export_button = self._header_button(
            "Export PDF",
            "Export the board pack (PDF) of the current state, edits included",
            "92px",
            "cxroi-export",
            self.export_board_pack,
        )
        self.export_link = W.HTML()
        self.export_link.add_class("cxroi-export-holder")
        self.undo_button = self._header_button(
            "Undo", "Undo the last change", "56px", "cxroi-undo", self.undo
        )
        self.redo_button = self._header_button(
            "Redo", "Redo the change undone", "56px", "cxroi-redo", self.redo
        )
        self.reset_button = self._header_button(
            "Reset", "Reset every input to the scenario as opened", "60px", "cxroi-reset",
            self._reset,
        )  # fmt: skip
        self.present_toggle = self._header_control(
            W.ToggleButton,
            "Present",
            "Present mode: hide the operator controls, larger figures for a projector",
            "76px",
            "cxroi-present-toggle",
            self._toggled,
        )
        self.status = W.HTML()
        spacer = W.HTML(layout=W.Layout(flex="1 1 auto"))
        # the title block: scenario name, subtitle and the recalculation status under them
        titlebox = W.VBox([self.title, self.status])
        titlebox.add_class("cxroi-titlebox")
        self.header = W.HBox(
            [
                titlebox,
                spacer,
                self.picker,
                self.upload,
                self.download,
                self.export_button,
                self.export_link,
                self.undo_button,
                self.redo_button,
                self.reset_button,
                self.present_toggle,
            ]
        )
        self.header.add_class("cxroi-header")

    def _header_button(
        self, label: str, tooltip: str, width: str, css_class: str, action: Callable[[], Any]
    ) -> W.Button:
        """A header button: short label, its full meaning as tooltip, ``action`` when clicked."""
        button = W.Button(description=label, icon="", tooltip=tooltip, layout=W.Layout(width=width))
        button.add_class(css_class)
        button.on_click(lambda _: self._guard(action))
        return button

    def _header_control(
        self,
        kind: Callable[..., Any],
        label: str,
        tooltip: str,
        width: str,
        css_class: str,
        on_value: Callable[[dict], Any],
        **options: Any,
    ) -> Any:
        """A header control of widget class ``kind`` whose value changes call ``on_value``."""
        control = kind(
            description=label, icon="", tooltip=tooltip, layout=W.Layout(width=width), **options
        )
        control.add_class(css_class)
        control.observe(on_value, "value")
        return control

    def _picker_options(self) -> list[tuple[str, str]]:
        options = [("Open scenario...", "")]
        folder = self._scenario_dir
        if folder and folder.is_dir():
            for path in sorted(folder.rglob("*.y*ml")):
                if "data" in path.relative_to(folder).parts[:-1]:
                    continue
                label = path.relative_to(folder).with_suffix("").as_posix()
                options.append((label.replace("_", " "), str(path)))
        return options

    def _render_header(self) -> None:
        """The scenario's name and its YAML download link, for the case on screen."""
        sc = self.scenario
        title = (
            f'<div class="cxroi-title" title="{html.escape(sc.name)}">{html.escape(sc.name)}</div>'
            '<div class="cxroi-subtitle">Customer-experience business case</div>'
        )
        if self.title.value != title:
            self.title.value = title

    def _render_download(self) -> None:
        import yaml

        sc = self.scenario
        text = yaml.safe_dump(sc.to_mapping(), sort_keys=False, allow_unicode=True)
        self.download.value = views.download_link(text, f"{_stem(sc.name)}.yaml")

    # -- opening a scenario
    def _picked(self, change: dict) -> None:
        path = change["new"]
        if not path:
            return
        allowed = {value for _, value in self._picker_options()}
        self._guard(self._open, path if path in allowed else None)

    def _open(self, path: str | None) -> None:
        if path is None:
            self.banner.value = views.error_html("Scenario picker: unknown file")
            return
        try:
            data = read_yaml(path)
        except cxroi.ScenarioError as err:
            issues = getattr(err, "errors", None) or [err]
            self.banner.value = views.error_html(
                f"{Path(path).name}: " + "; ".join(issue_text(i) for i in issues[:3])
            )
            return
        if self._apply_structure(data):
            self.editor.origin = copy.deepcopy(self.editor.mapping)
            self.editor.origin_name = Path(path).name

    def _uploaded(self, change: dict) -> None:
        if not change["new"]:
            return
        self._guard(self._read_upload, change["new"])
        # Forget the file: the button keeps its plain label (no "Upload (1)"), and the same
        # file can be chosen again.
        self.upload.value = ()

    def _read_upload(self, value: Any) -> None:
        if not value:
            return
        item = value[0] if isinstance(value, (list, tuple)) else None
        if not isinstance(item, dict) or "content" not in item:
            self.banner.value = views.error_html("Upload: not a file")
            return
        content = bytes(item["content"])
        name = echo(Path(str(item.get("name", "upload.yaml"))).name)
        if len(content) > MAX_UPLOAD_BYTES:
            self.banner.value = views.error_html(f"Upload {name}: larger than 1 MB")
            return
        try:
            data = parse_yaml(content.decode("utf-8"), name)
        except UnicodeDecodeError:
            self.banner.value = views.error_html(f"Upload {name}: not UTF-8 text")
            return
        except cxroi.ScenarioError as err:
            issues = getattr(err, "errors", None) or [err]
            self.banner.value = views.error_html(
                f"Upload {name}: " + "; ".join(issue_text(i) for i in issues[:3])
            )
            return
        if not isinstance(data, dict):
            # Plain text (for example a path) is never opened: only a mapping is a scenario.
            self.banner.value = views.error_html(
                f"Upload {name}: not a scenario (the file must hold a mapping of fields, "
                f"got {type(data).__name__} {echo(data)})"
            )
            self._set_status("error")
            return
        if self._apply_structure(data):
            self.editor.origin = copy.deepcopy(self.editor.mapping)
            self.editor.origin_name = name

    def _reset(self) -> None:
        for field in self._fields:
            field.has_error = False
        self._apply_structure(copy.deepcopy(self.editor.origin))

    # -- present mode
    def _toggled(self, change: dict) -> None:
        self._guard(self.set_present, bool(change["new"]))

    def set_present(self, on: bool) -> None:
        """Switch present mode: key sliders only, larger KPIs and charts."""
        on = bool(on)
        if on == self.present:
            return
        self.present = on
        if self.present_toggle.value != on:
            self.present_toggle.value = on
        self._layout()
        self._render()

    # -- board pack
    def board_pack(self) -> bytes:
        """The board pack PDF of the case on screen (edits included), as ``cxroi report`` writes.

        Playwright's synchronous API refuses to run on a thread with an asyncio loop (the
        kernel's), so the PDF is printed on a worker thread while this callback waits.
        """
        import tempfile
        from concurrent.futures import ThreadPoolExecutor

        from cxroi.outputs.boardpack import board_pack_html, write_pdf

        document = board_pack_html(self.scenario)
        with tempfile.TemporaryDirectory(prefix="cxroi-pack-") as tmp:
            target = Path(tmp) / "board_pack.pdf"
            with ThreadPoolExecutor(max_workers=1) as pool:
                pool.submit(write_pdf, document, target).result()
            return target.read_bytes()

    def export_board_pack(self) -> None:
        """Render the board pack of the current state and offer it as a download link."""
        npv = self.case.kpis["npv"]
        self.export_link.value = (
            '<span class="cxroi-export-status" data-state="busy">Preparing board pack…</span>'
        )
        try:
            pdf = self.board_pack()
        except TimeLimitExceeded:  # the guard says it took too long; no busy note left behind
            self.export_link.value = ""
            raise
        except Exception as exc:  # noqa: BLE001 - shown as a message, the kernel keeps serving
            log.exception("cxroi dashboard: board pack failed: %s", exc)
            self.export_link.value = views.error_html(
                "The board pack could not be written (is Chromium installed?)."
            )
            return
        link = views.export_link(pdf, f"{_stem(self.scenario.name)}_board_pack.pdf")
        self.export_link.value = link.replace(
            "<a ", f'<a data-npv="{views._data_value(npv)}" data-rev="{self.rev}" ', 1
        )


def _stem(name: str) -> str:
    """A file name stem from a scenario name (letters, digits, ``_`` and ``-``)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_") or "scenario"
