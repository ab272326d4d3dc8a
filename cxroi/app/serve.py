"""Serve the dashboard notebook with Voila, offline, with pre-heated kernels and culling.

``cxroi serve [SCENARIO]`` calls :func:`serve`. Every Voila setting lives here, in one place
(:func:`voila_argv`), with the reason for it:

* ``--template=cxroi``: Voila's lab page without the Font Awesome CDN link, plus the theme CSS
  and the chart renderer; the template is assembled in a cache folder together with the Vega
  bundle that vl-convert ships (:func:`prepare_template`), so nothing is fetched from outside;
* ``strip_sources`` and no tracebacks (Voila's defaults, stated explicitly);
* one notebook served (not a folder: pre-heating warms every notebook of a folder) with a
  pool of pre-heated kernels: the page gets a kernel that has already run the notebook;
* idle, unconnected kernels culled (a closed tab leaves its kernel behind, voila#1458);
  :class:`cxroi.app.kernels.CxroiKernelManager` keeps a kernel just handed out of the pool
  from being culled before its page connects, and caps the live kernels;
* bound to 127.0.0.1 unless told otherwise;
* at the kernel cap a visitor gets the ``503.html`` page of the template (the dashboard's own
  look, "busy, retrying"), with a ``Retry-After`` header, and the page retries by itself with
  a growing delay (:func:`_busy_page_with_retry_after`).

The scenario reaches the notebook through the ``CXROI_SCENARIO`` environment variable, which
the kernels inherit (pre-heated kernels run before any request, so a URL parameter would come
too late).
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cxroi import bundle

if TYPE_CHECKING:
    import argparse

__all__ = [
    "CACHE_ENV",
    "NOTEBOOK",
    "ServeOptions",
    "cache_root",
    "prepare_template",
    "serve",
    "voila_argv",
]

#: The dashboard notebook (thin: it only composes :class:`cxroi.app.Dashboard`), as bundled
#: with the package (:mod:`cxroi.bundle`: the repository's ``notebooks/`` in a checkout).
NOTEBOOK = bundle.notebook("business_case")
#: Notebooks ``cxroi serve --notebook`` can serve, by name.
NOTEBOOKS = {
    "business_case": NOTEBOOK,
    "calibration": bundle.notebook("calibration"),
}

#: Default scenario when none is given: the bundled ``scenarios/default.yaml``.
DEFAULT_SCENARIO = bundle.default_scenario()

#: Environment variable that carries the scenario path to the notebook's kernels.
SCENARIO_ENV = "CXROI_SCENARIO"

_TEMPLATE_SRC = Path(__file__).resolve().parent / "static" / "template"
TEMPLATE_NAME = "cxroi"


@dataclass
class ServeOptions:
    """Voila settings of ``cxroi serve``.

    Attributes
    ----------
    port : int
        TCP port.
    host : str
        Interface to bind; 127.0.0.1 keeps the dashboard on this machine.
    open_browser : bool
        Open the page in the default browser once serving.
    pool_size : int
        Pre-heated kernels kept ready (0 turns pre-heating off).
    cull_idle_timeout : int
        Seconds an unconnected, idle kernel lives before it is shut down.
    cull_interval : int
        Seconds between cull sweeps.
    max_kernels : int
        Most live kernels (about 225 MB each), pre-heated ones included.
    fill_delay : float
        Seconds after handing out a pre-heated kernel before the pool is refilled.
    notebook : str
        Which notebook to serve (a key of :data:`NOTEBOOKS`).
    allow_hosts : tuple of str
        Host names accepted in the ``Host:`` header besides ``localhost`` and loopback
        addresses; anything else is refused (DNS rebinding).
    unclaimed_timeout : int
        Seconds a kernel handed to a page may wait for the page's websocket before it is
        shut down (a plain GET that never connects must not hold a kernel).
    """

    port: int = 8866
    host: str = "127.0.0.1"
    open_browser: bool = True
    pool_size: int = 1
    cull_idle_timeout: int = 600
    cull_interval: int = 15
    max_kernels: int = 8
    fill_delay: float = 4.0
    notebook: str = "business_case"
    allow_hosts: tuple[str, ...] = ()
    unclaimed_timeout: int = 60


#: Environment variable naming cxroi's cache folder (default: ``$XDG_CACHE_HOME/cxroi``).
CACHE_ENV = "CXROI_CACHE_DIR"


def cache_root() -> Path:
    """Folder of cxroi's caches: ``$CXROI_CACHE_DIR``, else ``$XDG_CACHE_HOME/cxroi``.

    ``XDG_CACHE_HOME`` defaults to ``~/.cache`` (the XDG base directory specification). The
    server's template and the dashboard's kept chart specifications
    (:mod:`cxroi.app.chart_specs`) live there.
    """
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "cxroi"


def prepare_template(cache_dir: str | Path | None = None) -> Path:
    """Assemble the ``cxroi`` Voila template with its Vega bundle; return the Jupyter data dir.

    The Vega, Vega-Lite and Vega-Embed bundle (0.9 MB) comes from vl-convert, which embeds
    them: no network. It is written once per vl-convert version.

    Parameters
    ----------
    cache_dir : str or path, optional
        Where to build; default ``$CXROI_CACHE_DIR`` or ``~/.cache/cxroi``.

    Returns
    -------
    pathlib.Path
        A directory to put first on ``JUPYTER_PATH``; it holds ``voila/templates/cxroi``.
    """
    import vl_convert

    root = Path(cache_dir) if cache_dir else cache_root()
    data_dir = root / "jupyter"
    target = data_dir / "voila" / "templates" / TEMPLATE_NAME
    (target / "static").mkdir(parents=True, exist_ok=True)
    for src in _TEMPLATE_SRC.rglob("*"):
        if src.is_file():
            dest = target / src.relative_to(_TEMPLATE_SRC)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest)
    version = getattr(vl_convert, "__version__", "") or vl_convert.get_vega_version()
    bundle = target / "static" / "vega-bundle.js"
    stamp = target / "static" / "vega-bundle.version"
    if not bundle.exists() or not stamp.exists() or stamp.read_text() != version:
        tmp = bundle.with_suffix(".tmp")
        # the stubs mark ``snippet`` as required; it has a default (Vega, Vega-Lite, Embed)
        tmp.write_text(vl_convert.javascript_bundle(), encoding="utf-8")  # type: ignore[call-arg]
        tmp.replace(bundle)
        stamp.write_text(version)
    return data_dir


#: Seconds Voila waits for the output of a notebook cell once the kernel has replied.
IOPUB_TIMEOUT = 120


def voila_argv(notebook: str | Path, options: ServeOptions) -> list[str]:
    """Command-line arguments for Voila (all settings of the served dashboard)."""
    kernel_manager = "cxroi.app.kernels.CxroiKernelManager"
    argv = [
        str(notebook),
        f"--port={options.port}",
        f"--Voila.ip={options.host}",
        f"--template={TEMPLATE_NAME}",
        "--theme=light",
        "--VoilaConfiguration.strip_sources=True",
        "--VoilaConfiguration.show_tracebacks=False",
        f"--VoilaConfiguration.multi_kernel_manager_class={kernel_manager}",
        f"--CxroiKernelManager.max_kernels={options.max_kernels}",
        f"--MappingKernelManager.cull_idle_timeout={options.cull_idle_timeout}",
        f"--MappingKernelManager.cull_interval={options.cull_interval}",
        "--MappingKernelManager.cull_connected=False",
        "--MappingKernelManager.cull_busy=False",
        f"--CxroiKernelManager.unclaimed_timeout={options.unclaimed_timeout}",
        # nbclient waits only 4 s for a cell's output after the kernel's reply; with ten pages
        # loading at once on two cores the dashboard's output came later, and Voila sent nine
        # of ten pages without it (blank, "Timeout waiting for IOPub output" in the log).
        f"--VoilaExecutor.iopub_timeout={IOPUB_TIMEOUT}",
        f"--Voila.tornado_settings={host_settings(options.allow_hosts)!r}",
    ]
    if options.pool_size > 0:
        argv += [
            "--preheat_kernel=True",
            f"--pool_size={options.pool_size}",
            # Refill the pool a little after a kernel is handed out, not during the page's
            # first render: on two cores the refill (a whole notebook run) would slow it down.
            f"--VoilaKernelManager.fill_delay={options.fill_delay}",
        ]
    if not options.open_browser:
        argv.append("--no-browser")
    return argv


def host_settings(allow_hosts: Sequence[str] = ()) -> dict:
    """Tornado settings that refuse a ``Host:`` header not on the allow-list.

    Jupyter's handlers accept loopback addresses and ``local_hostnames``; Voila turns the
    check off (``allow_remote_access``), so a page on another site could reach the server
    through DNS rebinding. Here it is on again, with ``allow_hosts`` added to the names.
    """
    names = ["localhost", *[h.strip() for h in allow_hosts if h.strip()]]
    return {"allow_remote_access": False, "local_hostnames": names}


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or address to bind) is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def beacon_origin_ok(origin: str | None, host: str | None) -> bool:
    """Whether a shutdown beacon comes from the dashboard's own page.

    The page's ``beforeunload`` beacon carries no ``_xsrf`` token, so Jupyter refuses it
    (403) and the kernel of a closed tab lives on. The beacon does carry ``Origin``; a
    request from the same origin is accepted instead.
    """
    if not origin or not host:
        return False
    from urllib.parse import urlsplit

    return urlsplit(origin).netloc.lower() == host.lower()


def _accept_same_origin_beacons() -> None:
    """Let Voila's shutdown handler accept a same-origin beacon without ``_xsrf``."""
    from voila.shutdown_kernel_handler import VoilaShutdownKernelHandler

    base_check = VoilaShutdownKernelHandler.check_xsrf_cookie

    def check_xsrf_cookie(self):
        if beacon_origin_ok(self.request.headers.get("Origin"), self.request.host):
            return None
        return base_check(self)

    VoilaShutdownKernelHandler.check_xsrf_cookie = check_xsrf_cookie


#: Seconds a visitor at the kernel cap is told to wait (``Retry-After``; the page's first retry).
BUSY_RETRY_AFTER = 5


def _busy_page_with_retry_after() -> None:
    """Render the cap's 503 with the template's ``503.html`` and a ``Retry-After`` header.

    Jupyter's ``write_error`` renders ``503.html`` too, but sets no ``Retry-After`` and passes
    no retry delay to the page, so the 503 case is rendered here.
    """
    from jupyter_server.base.handlers import JupyterHandler
    from voila.handler import VoilaHandler

    if getattr(VoilaHandler, "_cxroi_busy_page", False):
        return
    base_write_error = JupyterHandler.write_error

    def write_error(self, status_code: int, **kwargs) -> None:
        if status_code != 503:
            return base_write_error(self, status_code, **kwargs)
        self.set_header("Retry-After", str(BUSY_RETRY_AFTER))
        self.set_header("Cache-Control", "no-cache, no-store, must-revalidate")
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.write(
            self.render_template(
                "503.html",
                status_code=503,
                status_message="Service Unavailable",
                message="",
                exception=None,
                retry_after=BUSY_RETRY_AFTER,
            )
        )

    VoilaHandler.write_error = write_error
    VoilaHandler._cxroi_busy_page = True


def _pool_fixes_in_voila() -> None:
    """Put :class:`cxroi.app.kernels.CxroiPoolMixin` in front of Voila's pool manager."""
    import voila.app

    from cxroi.app.kernels import PoolFixedFactory

    factory = voila.app.voila_kernel_manager_factory
    if not isinstance(factory, PoolFixedFactory):
        voila.app.voila_kernel_manager_factory = PoolFixedFactory(factory)


def serve_environment(scenario: str | Path, data_dir: Path) -> dict[str, str]:
    """Environment variables for the server (and so for its kernels)."""
    jupyter_path = os.environ.get("JUPYTER_PATH", "")
    return {
        SCENARIO_ENV: str(Path(scenario).resolve()),
        "JUPYTER_PATH": os.pathsep.join(p for p in (str(data_dir), jupyter_path) if p),
    }


def serve(
    scenario: str | Path | None = None,
    options: ServeOptions | None = None,
    extra_args: Sequence[str] = (),
) -> int:
    """Serve the dashboard on ``scenario`` until interrupted (blocks).

    Parameters
    ----------
    scenario : str or path, optional
        Scenario file; default ``scenarios/default.yaml``. It is validated before serving.
    options : ServeOptions, optional
        Voila settings.
    extra_args : sequence of str
        More Voila arguments (appended last, so they win).

    Returns
    -------
    int
        Exit status.
    """
    import cxroi

    options = options or ServeOptions()
    scenario = Path(scenario or DEFAULT_SCENARIO)
    cxroi.load_scenario(scenario)  # fail here, with the field path, rather than in the page
    notebook = NOTEBOOKS[options.notebook]
    if not notebook.exists():
        raise FileNotFoundError(f"notebook not found: {notebook}")
    data_dir = prepare_template()
    os.environ.update(serve_environment(scenario, data_dir))
    from voila.app import Voila

    if not is_loopback(options.host):
        print(
            f"cxroi: warning: --host {options.host} exposes the dashboard beyond this machine "
            "(anyone who can reach the port can use it); Host names accepted: "
            + ", ".join(host_settings(options.allow_hosts)["local_hostnames"]),
            file=sys.stderr,
        )
    _accept_same_origin_beacons()
    _busy_page_with_retry_after()
    _pool_fixes_in_voila()
    print(f"cxroi: serving {scenario} at http://{options.host}:{options.port}/", file=sys.stderr)
    Voila.launch_instance(argv=voila_argv(notebook, options) + list(extra_args))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m cxroi.app.serve [SCENARIO] [--port N] [--host H] [--no-browser]``."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m cxroi.app.serve")
    add_arguments(parser)
    args, extra = parser.parse_known_args(argv)
    return serve(args.scenario, options_from_args(args), extra)


#: The whole-number options of ``cxroi serve``, each named after its :class:`ServeOptions` field
#: (``--pool-size`` sets ``pool_size``), with its help.
_NUMBER_OPTIONS = {
    "port": "TCP port (8866)",
    "pool_size": "pre-heated kernels kept ready (0: off)",
    "cull_idle_timeout": "seconds before an idle, unconnected kernel is shut down",
    "cull_interval": "seconds between cull sweeps",
    "max_kernels": "most live kernels, pre-heated ones included",
    "unclaimed_timeout": "seconds a page's kernel waits for its websocket before it is shut down",
}


def _number_option(parser: argparse.ArgumentParser, name: str) -> None:
    """Add the whole-number option of :class:`ServeOptions` field ``name`` to ``parser``."""
    flag = "--" + name.replace("_", "-")
    default = getattr(ServeOptions(), name)
    parser.add_argument(flag, type=int, default=default, help=_NUMBER_OPTIONS[name])


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``serve`` options to an argparse parser (shared with ``cxroi serve``)."""
    defaults = ServeOptions()
    parser.add_argument(
        "scenario",
        nargs="?",
        default=None,
        help="scenario YAML file (default scenarios/default.yaml)",
    )
    _number_option(parser, "port")
    parser.add_argument(
        "--host", default=defaults.host, help="interface to bind (127.0.0.1: this machine only)"
    )
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser")
    parser.add_argument(
        "--notebook",
        choices=sorted(NOTEBOOKS),
        default=defaults.notebook,
        help="which page to serve: the business case (default) or retention calibration",
    )
    for name in ("pool_size", "cull_idle_timeout", "cull_interval", "max_kernels"):
        _number_option(parser, name)
    parser.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a Host: name to accept besides localhost (repeatable); others are refused",
    )
    _number_option(parser, "unclaimed_timeout")


def options_from_args(args: argparse.Namespace) -> ServeOptions:
    """:class:`ServeOptions` from parsed :func:`add_arguments` options."""
    defaults = ServeOptions()
    numbers = {name: getattr(args, name, getattr(defaults, name)) for name in _NUMBER_OPTIONS}
    return ServeOptions(
        host=args.host,
        open_browser=not args.no_browser,
        notebook=args.notebook,
        allow_hosts=tuple(getattr(args, "allow_host", ()) or ()),
        **numbers,
    )


def defaults_unclaimed() -> int:
    """Default :attr:`ServeOptions.unclaimed_timeout`."""
    return ServeOptions().unclaimed_timeout


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
