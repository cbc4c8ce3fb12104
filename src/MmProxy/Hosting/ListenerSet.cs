using Microsoft.Extensions.Logging;
using MmProxy.Configuration;
using MmProxy.Configuration.ConfigFile;
using MmProxy.Diagnostics;
using MmProxy.Udp;

namespace MmProxy.Hosting;

/// <summary>
/// The host's open listeners, one per listening port, keyed like <see cref="ListenerUnit.Key"/>.
/// Applies a <see cref="ReloadPlan"/> so that unchanged ports keep their sockets and connections.
/// Used from one thread at a time (startup, then the reload loop); /metrics reads it from another.
/// </summary>
internal sealed class ListenerSet : IAsyncDisposable
{
    private readonly Dictionary<string, (ListenerUnit Unit, IRunningListener Listener)> _open = new(StringComparer.Ordinal);
    private readonly ProxyCounters _counters;
    private readonly TimeProvider _time;
    private readonly IConfigSource _source;
    // Guards _open against /metrics scrapes (another thread) during a reload.
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _faulted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ILoggerFactory? _loggerFactory;
    private ILogger _log;

    /// <param name="counters">TCP counters shared by every listener.</param>
    /// <param name="udpCounters">UDP counters shared by every listener.</param>
    /// <param name="log">Used until <see cref="Start"/> (a <see cref="DeferredLogger"/> at startup).</param>
    /// <param name="time">The loops' clock.</param>
    /// <param name="source">Words what happens to listeners (the lines of flags mode and of --config differ).</param>
    public ListenerSet(ProxyCounters counters, UdpCounters udpCounters, ILogger log, TimeProvider time, IConfigSource source)
    {
        ArgumentNullException.ThrowIfNull(counters);
        ArgumentNullException.ThrowIfNull(udpCounters);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(source);
        _counters = counters;
        UdpCounters = udpCounters;
        _log = log;
        _time = time;
        _source = source;
    }

    public UdpCounters UdpCounters { get; }

    public int Count => _open.Count;

    public IEnumerable<ListenerUnit> Units => _open.Values.Select(v => v.Unit);

    /// <summary>Faults when any listener dies (the process must exit non-zero).</summary>
    public Task Faulted => _faulted.Task;

    /// <summary>A TCP listener was opened at some point (the TCP summary at exit).</summary>
    public bool EverTcp { get; private set; }

    /// <summary>A UDP listener was opened at some point (the UDP summary at exit).</summary>
    public bool EverUdp { get; private set; }

    /// <summary>The listeners open now (tests, status).</summary>
    public IReadOnlyList<IRunningListener> Listeners
    {
        get
        {
            lock (_gate)
            {
                return [.. _open.Values.Select(v => v.Listener)];
            }
        }
    }

    /// <summary>UDP flows open now, over every UDP listener (for /metrics).</summary>
    public long UdpFlowCount()
    {
        long count = 0;
        foreach (IRunningListener listener in Listeners)
        {
            if (listener is UdpRunningListener udp)
            {
                count += udp.FlowCount;
            }
        }

        return count;
    }

    /// <summary>
    /// Logging is ready: starts the listeners bound so far (at startup, by <see cref="OpenAllAsync"/>)
    /// and every later one as it opens. Returns the first listener that could not start, or null.
    /// </summary>
    public string? Start(ILoggerFactory loggerFactory, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        ArgumentNullException.ThrowIfNull(log);
        _loggerFactory = loggerFactory;
        _log = log;
        foreach ((ListenerUnit unit, IRunningListener listener) in _open.Values)
        {
            if (StartOne(unit, listener) is { } error)
            {
                return _source.OpenError(unit, error);
            }
        }

        return null;
    }

    /// <summary>Binds every unit at startup; on the first failure closes what it bound and returns the error.</summary>
    public async Task<string?> OpenAllAsync(IReadOnlyList<ListenerUnit> units)
    {
        ArgumentNullException.ThrowIfNull(units);
        ReloadPlan plan = ReloadPlan.Create([], units);
        return await ApplyAsync(plan).ConfigureAwait(false);
    }

    /// <summary>
    /// Applies a reload. New ports open first: if one cannot, those just opened close again and
    /// nothing else changes (the error is returned). Then subnets are swapped on kept ports, removed
    /// ports stop accepting, and ports whose settings changed are closed and reopened.
    /// </summary>
    public async Task<string?> ApplyAsync(ReloadPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var opened = new List<ListenerUnit>();
        foreach (ListenerUnit unit in plan.Open)
        {
            if (await TryOpenAsync(unit).ConfigureAwait(false) is { } error)
            {
                foreach (ListenerUnit undo in opened)
                {
                    await CloseAsync(undo.Key, log: false).ConfigureAwait(false);
                }

                return _source.OpenError(unit, error);
            }

            opened.Add(unit);
        }

        foreach ((ListenerUnit old, ListenerUnit next) in plan.Keep)
        {
            IRunningListener listener = _open[old.Key].Listener;
            listener.Subnets.Replace(next.Subnets);
            if (next.Options.AllowedDestinations is { } destinations)
            {
                listener.Destinations?.Replace(destinations);
            }
            lock (_gate)
            {
                _open[old.Key] = (next, listener);
            }
        }

        foreach (ListenerUnit unit in plan.Close)
        {
            await CloseAsync(unit.Key, log: true).ConfigureAwait(false);
        }

        foreach ((ListenerUnit old, ListenerUnit next) in plan.Reopen)
        {
            await CloseAsync(old.Key, log: true).ConfigureAwait(false);
            if (await TryOpenAsync(next).ConfigureAwait(false) is { } error)
            {
                ReloadLog.ReopenFailed(_log, next.Label, next.Key, error);
                if (await TryOpenAsync(old).ConfigureAwait(false) is not null)
                {
                    _faulted.TrySetException(new InvalidOperationException($"{next.Label}: {error}"));
                }
            }
        }

        return null;
    }

    /// <summary>Binds a unit, and starts it when logging is ready; the error (its listener closed again) or null.</summary>
    private async Task<string?> TryOpenAsync(ListenerUnit unit)
    {
        ProxyOptions o = unit.Options;
        string? error;
        IRunningListener? listener = o.Protocol == TransportProtocol.Udp
            ? UdpRunningListener.Bind(o, unit.Subnets, UdpCounters, _time, out error)
            : TcpRunningListener.Bind(o, unit.Subnets, _counters, _time, out error);
        if (listener is null)
        {
            return error;
        }

        if (_loggerFactory is not null && StartOne(unit, listener) is { } startError)
        {
            await listener.DisposeAsync().ConfigureAwait(false);
            return startError;
        }

        lock (_gate)
        {
            _open[unit.Key] = (unit, listener);
        }

        EverTcp |= o.Protocol == TransportProtocol.Tcp;
        EverUdp |= o.Protocol == TransportProtocol.Udp;
        _ = listener.Completion.ContinueWith(
            t => _faulted.TrySetException(t.Exception!.InnerExceptions),
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return null;
    }

    private string? StartOne(ListenerUnit unit, IRunningListener listener)
    {
        if (listener.Start(_loggerFactory!) is { } error)
        {
            return error;
        }

        _source.LogOpened(_log, unit, listener);
        return null;
    }

    private async Task CloseAsync(string key, bool log)
    {
        (ListenerUnit Unit, IRunningListener Listener) entry;
        lock (_gate)
        {
            if (!_open.Remove(key, out entry))
            {
                return;
            }
        }

        await entry.Listener.DisposeAsync().ConfigureAwait(false);
        if (log)
        {
            ReloadLog.ListenerClosed(_log, entry.Unit.Label, key);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (string key in _open.Keys.ToArray())
        {
            await CloseAsync(key, log: false).ConfigureAwait(false);
        }
    }
}
