"""The workflows and rules an engine knows: collected from the plugins, validated, compiled."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pluggy

from yishi.definition.loader import Loaded, load_text, text_hash
from yishi.definition.models import Text, Workflow
from yishi.definition.operands import check_arguments
from yishi.definition.validate import Catalog
from yishi.engine.machine import Compiled
from yishi.errors import DefinitionError, NotFoundError, PluginError, Problem, StorageError
from yishi.rules import ActionSpec, GuardSpec, Registry


def collect_registry(pm: pluggy.PluginManager) -> Registry:
    """Ask every plugin to register its guards, actions and notifiers.

    Raises ``PluginError`` when two plugins register the same name.
    """
    registry = Registry()

    def _adder(kind: str, table: dict[str, Any], make: Any) -> Any:
        def register(name: str, func: Any, args: Any = None, description: Text | None = None) -> None:
            if name in table:
                raise PluginError(f"{kind} {name!r} is registered twice; rename one of them")
            plugin = getattr(func, "__module__", None) or "?"
            try:
                check_arguments(args)
            except TypeError as exc:
                raise PluginError(f"{kind} {name!r} (plugin {plugin}): {exc}",
                                  message_zh=f"{'规则' if kind == 'guard' else '动作'} {name!r}（插件 {plugin}）"
                                             f"的参数声明有误：{exc}") from None
            table[name] = make(name=name, func=func, args=args, description=description, plugin=plugin)
        return register

    pm.hook.yishi_register_guards(register=_adder("guard", registry.guards, GuardSpec))
    pm.hook.yishi_register_actions(register=_adder("action", registry.actions, ActionSpec))

    def add_notifier(name: str, notifier: Any) -> None:
        if name in registry.notifiers:
            raise PluginError(f"notifier {name!r} is registered twice; rename one of them")
        registry.notifiers[name] = notifier

    from yishi.plugins import notify_text

    notify_text.ASKED_KINDS.clear()
    pm.hook.yishi_register_notifiers(register=add_notifier)
    if notify_text.ASKED_KINDS:  # the config names no channel that no installed notifier reads
        from yishi.config import check_channels, load_config

        check_channels(load_config(), notify_text.ASKED_KINDS | {"console"})

    def add_document(kind: Any) -> None:
        if kind.name in registry.documents:
            raise PluginError(f"document {kind.name!r} is registered twice; rename one of them")
        registry.documents[kind.name] = kind

    pm.hook.yishi_register_documents(register=add_document)
    return registry


def catalog_of(registry: Registry) -> Catalog:
    return Catalog(guards={n: g.args for n, g in registry.guards.items()},
                   actions={n: a.args for n, a in registry.actions.items()},
                   documents=dict(registry.documents))


def open_library(plugins: Any = (), *, params: Mapping[str, Mapping[str, Any]] | None = None,
                 entry_points: bool = True) -> Library:
    """The workflows and rules of the installed plugins, without opening any database."""
    from yishi.plugin_manager import make_manager

    pm = make_manager(plugins, entry_points=entry_points)
    return Library(pm, collect_registry(pm), params)


class Library:
    """Workflow files from the plugins, by id and version, plus compiled Machines by hash."""

    def __init__(self, pm: pluggy.PluginManager, registry: Registry,
                 params: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self.pm = pm
        self.registry = registry
        self.catalog = catalog_of(registry)
        self.params = {k: dict(v) for k, v in (params or {}).items()}
        self.problems: list[Problem] = []
        self._by_id: dict[str, dict[int, Loaded]] | None = None
        self._compiled: dict[str, Compiled] = {}
        self.origins: dict[str, str] = {}

    # ---- files
    def _files(self) -> list[Path]:
        """Every contributed file, in hook-call order; ``origins`` maps each to its plugin."""
        from yishi.plugin_manager import BUILTIN_PLUGINS

        out: list[Path] = []
        for impl in reversed(self.pm.hook.yishi_workflow_files.get_hookimpls()):  # pluggy's call order
            plugin = "yishi" if impl.plugin_name in BUILTIN_PLUGINS else impl.plugin_name
            for item in impl.function() or ():
                path = Path(item)
                found = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
                out.extend(found)
                self.origins.update({str(p): plugin for p in found})
        return out

    def plugin_of(self, loaded: Loaded) -> str:
        """The plugin that contributed ``loaded`` ("yishi" for the shipped ones)."""
        self._load()
        return self.origins.get(loaded.file, "")

    def param_sources(self, workflow_id: str, version: int | None = None) -> dict[str, tuple[Any, Any, str]]:
        """Each param of the workflow → (default, value in force, where it comes from:
        ``"default"`` or ``"deployment"``). Raises ``NotFoundError``."""
        wf = self.get(workflow_id, version).workflow
        overrides = self.overrides(wf)
        return {name: (param.default, wf.param_value(name, overrides),
                       "deployment" if name in overrides else "default") for name, param in wf.params.items()}

    def _load(self) -> dict[str, dict[int, Loaded]]:
        if self._by_id is not None:
            return self._by_id
        by_id: dict[str, dict[int, Loaded]] = {}
        for path in self._files():
            try:
                loaded = load_text(path.read_bytes(), str(path), self.catalog)
            except DefinitionError as exc:
                self.problems.extend(exc.problems)
                continue
            except OSError as exc:
                self.problems.append(Problem(str(path), 0, 0, f"cannot read: {exc.strerror}"))
                continue
            versions = by_id.setdefault(loaded.workflow.id, {})
            other = versions.get(loaded.workflow.version)
            if other is not None and other.sha256 != loaded.sha256:
                self.problems.append(Problem(
                    str(path), 1, 1,
                    f"workflow {loaded.workflow.id!r} version {loaded.workflow.version} is also "
                    f"defined, differently, in {other.file}",
                    "raise 'version:' in the changed file"))
                continue
            versions[loaded.workflow.version] = loaded
        self._by_id = by_id
        return by_id

    def latest(self) -> list[Loaded]:
        """The newest version of every valid workflow, by id."""
        return [versions[max(versions)] for _, versions in sorted(self._load().items())]

    def every_version(self) -> list[Loaded]:
        """Every valid workflow file, each version of each workflow."""
        return [loaded for _, versions in sorted(self._load().items()) for loaded in versions.values()]

    def get(self, workflow_id: str, version: int | None = None) -> Loaded:
        """The workflow ``workflow_id`` (newest version unless given). Raises ``NotFoundError``."""
        versions = self._load().get(workflow_id)
        if not versions:
            known = ", ".join(sorted(self._load())) or "none"
            raise NotFoundError(f"no workflow {workflow_id!r}; known workflows: {known}",
                                message_zh=f"没有流程 {workflow_id!r}；已有流程：{known}")
        if version is None:
            return versions[max(versions)]
        if version not in versions:
            raise NotFoundError(f"workflow {workflow_id!r} has no version {version}",
                                message_zh=f"流程 {workflow_id!r} 没有第 {version} 版")
        return versions[version]

    def by_hash(self, sha256: str) -> Loaded | None:
        for versions in self._load().values():
            for loaded in versions.values():
                if loaded.sha256 == sha256:
                    return loaded
        return None

    # ---- compiled
    def compiled(self, loaded: Loaded) -> Compiled:
        """The cached Compiled for ``loaded`` (built on first use)."""
        found = self._compiled.get(loaded.sha256)
        if found is None:
            wf = loaded.workflow
            overrides = self.overrides(wf)
            params = {name: wf.param_value(name, overrides) for name in wf.params}
            found = self._compiled[loaded.sha256] = Compiled(loaded, params)
        return found

    def overrides(self, wf: Workflow) -> dict[str, Any]:
        """The deployment's ``[params.ID]`` for ``wf``. Raises ``ConfigError`` for a name the
        workflow has no param of (a misspelt override is never silently ignored)."""
        import difflib

        from yishi.config import ConfigError

        overrides = self.params.get(wf.id, {})
        for name in overrides:
            if name not in wf.params:
                guess = difflib.get_close_matches(name, list(wf.params), n=1, cutoff=0.5)
                hint = f"did you mean {guess[0]!r}?" if guess else f"its params: {', '.join(wf.params) or 'none'}"
                raise ConfigError(
                    f"[params.{wf.id}] sets {name!r}, which workflow {wf.id!r} has no param of; {hint}",
                    message_zh=f"[params.{wf.id}] 设置了 {name!r}，但流程 {wf.id!r} 没有这个参数；"
                               + (f"是不是 {guess[0]!r}？" if guess else f"其参数：{', '.join(wf.params) or '无'}"))
        return overrides

    def cached(self, sha256: str) -> Compiled | None:
        """The Compiled for a definition hash, if built already (files or stored text)."""
        return self._compiled.get(sha256)

    def compiled_from_text(self, sha256: str, text: str, file: str) -> Compiled:
        """Compile a definition stored in the database (a pinned older version).

        Raises ``StorageError`` when the text no longer matches its sha256 (it was altered in
        the database): an altered definition is never run.
        """
        found = self._compiled.get(sha256)
        if found is None:
            if text_hash(text) != sha256:
                raise StorageError(
                    f"the stored definition {sha256[:12]} ({file}) was altered: its text no longer "
                    "matches its sha256; run 'yishi verify'",
                    message_zh=f"数据库中保存的流程定义 {sha256[:12]}（{file}）已被改动，与其 sha256 不符；"
                               "请运行 yishi verify")
            found = self.compiled(load_text(text, f"{file} (stored {sha256[:12]})", self.catalog))
            self._compiled[sha256] = found
        return found
