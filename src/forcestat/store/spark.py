"""A store on Spark: the canonical tables as Parquet or Delta folders, or a catalog's tables,
read through a Spark session that forcestat starts from the store URL (docs/scale.md).

    spark://local[2]?path=/data/national          local Spark, 2 cores, Parquet folders
    spark://local[*]?path=/data/national&format=delta
    spark://host:7077?path=hdfs:///police/national a standalone cluster's master
    spark://yarn?path=...                          YARN (or any master Spark knows by name)
    spark://?path=...                              the session spark-submit configured
    spark://?database=police                       tables of a catalog database (Hive, Unity)
    sc://host:15002?database=police                a Spark Connect endpoint (Databricks)

Extra Spark settings go in as ``conf.<key>=<value>`` (e.g. ``conf.spark.driver.memory=8g``).
A ``path`` folder holds one entry per table, named after it: ``crimes.parquet``, a folder
``crimes/`` of Parquet files (the national set's layout), or a Delta table ``crimes/`` (a
folder with ``_delta_log``); a missing table is simply absent (its measures are listed as not
available). Canonical times are naive local times: the session runs in UTC so that Spark
never shifts them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

from .errors import StoreError
from .schema import ALL_TABLES

SCHEMES = ("spark", "sc")
LOG4J = Path(str(resources.files("forcestat.store") / "spark-log4j2.properties"))
FORMATS = ("parquet", "delta")
# Settings forcestat gives a session it starts (a user's conf.* overrides them).
DEFAULTS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.enabled": "false",
}


@dataclass
class SparkTarget:
    """What a spark:// or sc:// URL names."""

    url: str
    master: str | None = None  # None: the session's own (spark-submit, spark-defaults.conf)
    remote: str | None = None  # a Spark Connect endpoint (sc://...)
    path: str | None = None
    database: str | None = None
    catalog: str | None = None
    fmt: str | None = None  # parquet | delta | None (each table's own layout)
    conf: dict[str, str] = field(default_factory=dict)


def is_spark_url(url: str) -> bool:
    return url.split("://", 1)[0].lower() in SCHEMES if "://" in url else False


def parse(url: str) -> SparkTarget:
    """The parts of a Spark store URL; StoreError naming the URL when it cannot be one."""
    scheme, rest = url.split("://", 1)
    scheme = scheme.lower()
    where, _, query = rest.partition("?")
    target = SparkTarget(url)
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key == "path":
            target.path = value
        elif key == "database":
            target.database = value
        elif key == "catalog":
            target.catalog = value
        elif key == "format":
            if value not in FORMATS:
                raise StoreError(f"{url}: format={value!r}; use one of {', '.join(FORMATS)}")
            target.fmt = value
        elif key.startswith("conf."):
            target.conf[key[len("conf.") :]] = value
        else:
            raise StoreError(
                f"{url}: unknown setting {key!r}; a Spark store takes path, format, catalog, "
                "database and conf.<spark setting>"
            )
    if target.path is None and target.database is None:
        raise StoreError(
            f"{url}: say where the tables are: ?path=FOLDER (Parquet or Delta) or "
            "?database=NAME (a catalog's tables)"
        )
    where = unquote(where).rstrip("/")
    if scheme == "sc":
        target.remote = f"sc://{where}"
    elif where:
        # local, local[N], local[*], yarn, k8s://... are masters by name; host:port is a
        # standalone cluster's master, which Spark addresses as spark://host:port.
        named = where.startswith(("local", "yarn", "k8s://", "mesos://"))
        target.master = where if named else f"spark://{where}"
    return target


def _local_cores(master: str | None) -> int | None:
    if master is None or not master.startswith("local"):
        return None
    inside = master[len("local") :].strip("[]")
    if inside in ("", "*"):
        return 1 if inside == "" else os.cpu_count() or 1
    try:
        return int(inside.split(",")[0])
    except ValueError:
        return None


def session(target: SparkTarget) -> Any:
    """The Spark session the URL asks for (an existing one with the same master is reused)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise StoreError(
            f"{target.url}: Spark is not installed (pip install 'forcestat[spark]'; it needs "
            "Java 17)"
        ) from None
    conf = dict(DEFAULTS)
    # A cube's GROUP BY shuffles little: Spark's default of 200 partitions is made for big
    # clusters; a local master gets two per core (a cluster keeps its own setting).
    cores = _local_cores(target.master)
    if cores is not None:
        conf["spark.sql.shuffle.partitions"] = str(max(2, 2 * cores))
    if cores is not None:
        # A local master talks to itself: on the loopback address, without the warning Spark
        # prints when the host name resolves there.
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # Spark's own log4j profile prints start-up notes and progress bars on the terminal of a
    # command that prints its own results: warnings and errors only (a user's setting wins).
    conf["spark.driver.extraJavaOptions"] = f"-Dlog4j.configurationFile={LOG4J}"
    conf["spark.ui.showConsoleProgress"] = "false"
    conf.update(target.conf)
    builder = SparkSession.builder.appName("forcestat")
    if target.remote is not None:
        builder = builder.remote(target.remote)
        # Spark Connect servers refuse many static settings: only the user's own.
        conf = dict(target.conf)
    elif target.master is not None:
        builder = builder.master(target.master)
    for k, v in conf.items():
        builder = builder.config(k, v)
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # noqa: BLE001 - py4j and Spark Connect raise their own types
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StoreError(f"{target.url}: Spark could not start: {first}") from None
    if target.remote is None:
        spark.sparkContext.setLogLevel("ERROR")
    elif "spark.sql.session.timeZone" not in target.conf:
        # A runtime setting Spark Connect accepts: times read as UTC, as on every backend.
        spark.conf.set("spark.sql.session.timeZone", "UTC")
    return spark


def table_entries(path: str, fmt: str | None) -> dict[str, tuple[str, str]]:
    """{table name: (location, format)} of a local folder of tables (see the module docstring).
    A folder on a cluster file system (hdfs://, s3a://, abfss://) is listed by Spark instead
    (``_remote_entries``)."""
    root = Path(path)
    if not root.is_dir():
        raise StoreError(f"{path}: no such folder of tables")
    out: dict[str, tuple[str, str]] = {}
    for entry in sorted(root.iterdir()):
        if entry.is_file() and entry.suffix == ".parquet":
            out[entry.stem] = (str(entry), "parquet")
        elif entry.is_dir():
            if (entry / "_delta_log").is_dir():
                out[entry.name] = (str(entry), "delta")
            elif any(entry.rglob("*.parquet")):
                out[entry.name] = (str(entry), "parquet")
    if fmt is not None:
        out = {k: (loc, fmt) for k, (loc, _) in out.items()}
    if not out:
        raise StoreError(f"{path}: no Parquet or Delta tables in this folder")
    return out


def _remote_entries(spark: Any, path: str, fmt: str | None) -> dict[str, tuple[str, str]]:
    """Tables under a folder on a cluster file system, listed through Hadoop's FileSystem."""
    jvm = spark.sparkContext._jvm
    hpath = jvm.org.apache.hadoop.fs.Path(path)
    fs = hpath.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    out: dict[str, tuple[str, str]] = {}
    for status in fs.listStatus(hpath):
        p = status.getPath()
        name = p.getName()
        if status.isFile() and name.endswith(".parquet"):
            out[name[: -len(".parquet")]] = (p.toString(), "parquet")
        elif status.isDirectory() and not name.startswith(("_", ".")):
            delta = fs.exists(jvm.org.apache.hadoop.fs.Path(p, "_delta_log"))
            out[name] = (p.toString(), "delta" if delta else "parquet")
    if fmt is not None:
        out = {k: (loc, fmt) for k, (loc, _) in out.items()}
    return out


def connect(url: str) -> Any:
    """An Ibis pyspark backend holding the store's tables (as temporary views of the files,
    or the catalog database's own tables)."""
    import ibis

    target = parse(url)
    local = target.path is not None and "://" not in target.path
    entries = table_entries(target.path, target.fmt) if local else {}  # type: ignore[arg-type]
    spark = session(target)
    if target.catalog is not None:
        spark.catalog.setCurrentCatalog(target.catalog)
    if target.database is not None:
        try:
            spark.catalog.setCurrentDatabase(target.database)
        except Exception:  # noqa: BLE001 - AnalysisException and its Connect twin
            raise StoreError(f"{url}: no database {target.database!r} in the catalog") from None
    con = ibis.pyspark.connect(spark)
    if target.path is not None:
        if not local:
            entries = _remote_entries(spark, target.path, target.fmt)
        # A reused session may hold views of another folder (a store opened before in this
        # process): the store is this folder's tables only, so a table it lacks stays absent.
        for name in ALL_TABLES:
            if name not in entries:
                spark.catalog.dropTempView(name)
        for name, (location, fmt) in entries.items():
            try:
                if fmt == "delta":
                    con.read_delta(location, table_name=name)
                else:
                    con.read_parquet(location, table_name=name)
            except Exception as exc:  # noqa: BLE001 - Spark's AnalysisException and friends
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                hint = (
                    " (Delta needs the delta-spark package on the session's classpath)"
                    if fmt == "delta"
                    else ""
                )
                raise StoreError(
                    f"{url}: table {name} ({location}) cannot be read{hint}: {first}"
                ) from None
    return con
