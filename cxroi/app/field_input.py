"""One dashboard input: label, optional slider, typed entry, range input, error and note.

Widgets only. :class:`FieldInput` shows a field's value (:func:`cxroi.app.fields.format_value`)
and hands typed text to the page's callback, never parsing or validating it: the page asks the
:class:`cxroi.app.editor.ScenarioEditor` what the text means and whether the scenario takes it.
:class:`SafeText` is a text box that never lets a wrong-type value from the browser raise inside
the widget comm; :class:`Kit` shares one layout and style model among all inputs.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as W
import traitlets
from ipywidgets.widgets.widget_int import SliderStyle
from ipywidgets.widgets.widget_string import HTMLStyle, TextStyle

from cxroi.app import views
from cxroi.app.fields import (
    DIST_HELP,
    FieldSpec,
    describe_distribution,
    format_distribution,
    format_value,
)

__all__ = ["FieldInput", "Kit", "Rejected", "SafeText", "form_switch"]


def form_switch(
    options: list[tuple[str, str]],
    value: str,
    description: str,
    label_width: str,
    css_class: str,
    on_change: Callable[[Any], Any],
) -> W.Dropdown:
    """A dropdown that switches the form of a field; ``on_change(form)`` gets the form chosen.

    For example constant rate or sBG curve, one number or one value per lever.
    """
    switch = W.Dropdown(
        options=options,
        value=value,
        description=description,
        style={"description_width": label_width},
        layout=W.Layout(width="290px"),
    )
    switch.add_class(css_class)
    switch.observe(lambda change: on_change(change["new"]), "value")
    return switch


class SafeText(W.Text):
    """Text box whose value is always a string.

    A browser can send any JSON value over the websocket. :class:`ipywidgets.Text` would
    raise a ``TraitError`` inside the comm for a non-string (the traceback goes to the page);
    here a wrong-type value is dropped (the text stays as it was) and ``on_reject`` is
    called with the type's name, so the page can say so in plain words.
    """

    value = traitlets.Any("", help="String value").tag(sync=True)

    def __init__(self, *args, on_reject: Callable | None = None, **kwargs):
        self._on_reject = on_reject
        super().__init__(*args, **kwargs)

    @traitlets.validate("value")
    def _valid_value(self, proposal: dict) -> str:
        value = proposal["value"]
        if isinstance(value, str):
            self._last_text = value
            return value
        old = proposal["owner"]._trait_values.get("value", "")
        old = old if isinstance(old, str) and old else self.__dict__.get("_last_text", old)
        on_reject = getattr(self, "_on_reject", None)
        if on_reject is not None:
            on_reject(type(value).__name__)
        return old if isinstance(old, str) else ""


class Kit:
    """Layouts and styles shared by all inputs: one widget model each instead of one per input.

    The page creates every model before it shows anything: fewer models, faster first render.
    """

    def __init__(self):
        self.label = W.Layout(width="140px")
        self.entry = W.Layout(width="100px")
        self.cell = W.Layout(width="72px")
        self.slider = W.Layout(width="110px")
        # A name fills the rest of its row (the sidebar's width), so a typical name reads whole.
        self.wide = W.Layout(flex="1 1 0%", width="auto", min_width="100px")
        self.box = W.Layout()
        self.html = HTMLStyle()
        self.text = TextStyle()
        self.slider_style = SliderStyle()


class FieldInput:
    """One input: label (benchmark marker), optional slider, typed entry, error message.

    Parameters
    ----------
    spec : FieldSpec
        What the field is.
    keys : tuple
        Where its value lives in the scenario mapping (``("segments", 0, "wallet")``).
    path : str
        Field path as in error messages (``segments[Mass market].wallet``).
    on_change : callable
        ``on_change(field, text)`` with the typed text (the slider sends its value formatted).
    classes : list of str
        DOM classes of the typed entry (test hooks).
    compact : bool
        Without label and slider (cells of the effects grid).
    blank_default : bool
        Show a blank entry when the key is absent (the default applies) instead of the value.
    slider : bool
        Whether to show the slider, where the spec has a range.
    """

    def __init__(
        self,
        spec: FieldSpec,
        keys: tuple,
        path: str,
        on_change: Callable,
        classes: list[str],
        compact: bool = False,
        blank_default: bool = False,
        slider: bool = True,
        label: str | None = None,
        kit: Kit | None = None,
    ):
        self.spec = spec
        self.keys = keys
        self.path = path
        self.blank_default = blank_default
        self.has_error = False
        self._on_change = on_change
        self._quiet = False
        self._label_text = label or spec.label
        kit = kit or Kit()
        self._kit = kit
        self.label = W.HTML(layout=kit.label, style=kit.html)
        self.label.add_class("cxroi-label")
        if spec.kind == "choice":
            self.entry = W.Dropdown(options=list(spec.choices), layout=kit.entry)
        else:
            # Typed text reaches the kernel on Enter or when the input loses focus, never
            # keystroke by keystroke: the kernel never rewrites an input while it is typed in.
            self.entry = SafeText(
                continuous_update=False,
                layout=kit.cell if compact else kit.wide if spec.key == "name" else kit.entry,
                style=kit.text,
                on_reject=self._rejected,
            )
            self.entry.add_class("cxroi-text")
        self._dist_hint = ""
        self.entry.tooltip = spec.help or path
        for cls in dict.fromkeys(classes):
            self.entry.add_class(cls)
        self.slider = None
        if spec.slider and slider and not compact:
            lo, hi, step = spec.slider
            cls = W.IntSlider if spec.kind == "int" else W.FloatSlider
            self.slider = cls(
                min=lo,
                max=hi,
                step=step,
                readout=False,
                continuous_update=False,
                layout=kit.slider,
                style=kit.slider_style,
            )
            self.slider.add_class(classes[0].replace("cxroi-field-", "cxroi-slider-"))
            self.slider.observe(self._slider_changed, "value")
        self.entry.observe(self._entry_changed, "value")
        self.error: W.HTML | None = None  # created on the first error (fewer widget models)
        self.note: W.HTML | None = None  # how a typed value was read (created when needed)
        self.dist_entry: SafeText | None = None  # range input of a distribution field
        self.dist_row: W.HBox | None = None
        self._on_dist: Callable | None = None
        if compact:
            self.row = self.box = None
        else:
            parts = [self.label] + ([self.slider] if self.slider else []) + [self.entry]
            self.row = W.HBox(parts, layout=kit.box)
            self.row.add_class("cxroi-fieldrow")
            self.box = W.VBox([self.row], layout=kit.box)

    def add_range(self, on_change: Callable, label: str | None = None) -> W.HBox:
        """Give the field a range input (it holds a distribution); returns its row.

        ``on_change(field, text)`` is called with the typed range text.
        """
        kit = self._kit
        self._on_dist = on_change
        self.dist_entry = SafeText(
            continuous_update=False,
            layout=W.Layout(width="210px"),
            style=kit.text,
            placeholder="triangular low; mode; high",
            on_reject=self._rejected,
        )
        self.dist_entry.tooltip = DIST_HELP
        self.dist_entry.add_class("cxroi-text")
        hook = self.entry._dom_classes[-1].replace("cxroi-field-", "cxroi-range-")
        self.dist_entry.add_class(hook)
        self.dist_entry.observe(self._dist_changed, "value")
        caption = W.HTML(
            f'<span class="cxroi-range-label" title="{html.escape(DIST_HELP)}">'
            f"{html.escape(label or 'Range')}</span>",
            layout=W.Layout(width="140px") if label is None else kit.box,
            style=kit.html,
        )
        self.dist_row = W.HBox([caption, self.dist_entry], layout=kit.box)
        self.dist_row.add_class("cxroi-range-row")
        self._relayout()
        return self.dist_row

    def show_distribution(self, dist: Any) -> None:
        """Show distribution ``dist`` in the range input and as hover text, quietly."""
        if self.dist_entry is None:
            return
        self._set_quietly(self.dist_entry, format_distribution(dist, self.spec))
        self._dist_hint = f"{describe_distribution(dist, self.spec)}; base value shown"
        self._hover(self.entry.value if isinstance(self.entry.value, str) else "")

    #: Longest text an entry shows whole; a longer value is repeated in its hover text.
    SHORT = 11

    def _hover(self, text: str) -> None:
        """Hover text of the entry: the whole value when it may be cut, range, help."""
        parts = [text if len(text) > self.SHORT else "", self._dist_hint]
        if self.label is not None and self.row is None:  # a grid cell: no label to hover
            parts.append(getattr(self, "_source_hint", ""))
        parts.append(self.spec.help or self.path)
        tip = " · ".join(p for p in parts if p)
        if self.entry.tooltip != tip:
            self.entry.tooltip = tip

    def _relayout(self) -> None:
        if self.box is None:
            return
        parts = (self.row, self.error, self.note, self.dist_row)
        children = tuple(w for w in parts if w is not None)
        if tuple(self.box.children) != children:
            self.box.children = children

    # -- browser -> kernel
    def _dist_changed(self, change: dict) -> None:
        if not self._quiet and self._on_dist is not None:
            self._on_dist(self, change["new"])

    def _rejected(self, type_name: str) -> None:
        self._on_change(self, Rejected(type_name))

    def _entry_changed(self, change: dict) -> None:
        if not self._quiet:
            self._on_change(self, change["new"])

    def _slider_changed(self, change: dict) -> None:
        if self._quiet:
            return
        text = format_value(change["new"], self.spec)
        self._set_quietly(self.entry, text)
        self._on_change(self, text)

    # -- kernel -> browser
    def show(self, value: Any) -> None:
        """Display ``value`` (``None`` shows a blank entry) without triggering callbacks."""
        text = format_value(value, self.spec)
        if self.spec.kind != "choice" or text in self.spec.choices:
            self._set_quietly(self.entry, text)
        if self.spec.kind != "choice":
            self._hover(text)
        self.show_slider(value)

    def show_slider(self, value: Any) -> None:
        """Move the slider to ``value`` (held at its end when outside its range), quietly.

        The slider covers the usual range with a fine step; typed entry may go beyond it.
        """
        if self.slider is None or isinstance(value, bool) or not isinstance(value, (int, float)):
            return
        self._set_quietly(self.slider, min(max(value, self.slider.min), self.slider.max))

    def _set_quietly(self, widget: Any, value: Any) -> None:
        """Set ``widget.value`` (when it differs) without calling the page back."""
        self._quiet = True
        try:
            if widget.value != value:
                widget.value = value
        finally:
            self._quiet = False

    def set_note(self, message: str | None) -> None:
        """Show (or clear) how a typed value was read, next to the field (``cxroi-warning``)."""
        if self.note is None:
            if not message:
                return
            self.note = W.HTML(layout=self._kit.box, style=self._kit.html)
            self.note.add_class("cxroi-warning")
            self._relayout()
        html_text = f'<span class="cxroi-warning">{html.escape(message)}</span>' if message else ""
        if self.note.value != html_text:
            self.note.value = html_text

    def set_error(self, message: str | None, sink: W.HTML | None = None) -> None:
        """Show (or clear, with ``None``) the error message next to the field."""
        self.has_error = message is not None
        html = views.error_html(message, self.path) if message else ""
        if sink is None:
            if self.error is None:
                if not message:
                    return
                self.error = W.HTML(layout=self._kit.box, style=self._kit.html)
                self._relayout()
            sink = self.error
        if sink.value != html:
            sink.value = html

    def set_provenance(self, provenance: Any, source: Any = None) -> None:
        """Refresh the label (benchmark marker, the input's source in its hover text)."""
        html = views.field_label(self._label_text, provenance, self.spec.help, source)
        hint = views.source_text(source)
        if hint != getattr(self, "_source_hint", ""):
            self._source_hint = hint
            if self.row is None and isinstance(self.entry.value, str):
                self._hover(self.entry.value)
        if self.label.value != html:
            self.label.value = html


class Rejected:
    """A value of the wrong type sent for a text box (its type's name)."""

    def __init__(self, type_name: str):
        self.type_name = type_name
