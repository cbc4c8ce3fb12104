using Microsoft.Extensions.Logging;

namespace MmProxy.Hosting.Systemd;

/// <summary>
/// The proxy's side of Type=notify: READY=1 once every listener is bound, WATCHDOG=1 at half of
/// WatchdogSec= while running, STOPPING=1 when a stop signal arrives, RELOADING=1/READY=1 around
/// reloads. Does nothing when $NOTIFY_SOCKET is not set.
/// </summary>
internal sealed class SystemdIntegration : IAsyncDisposable
{
    private readonly SystemdNotifier? _notifier;
    private readonly TimeSpan? _watchdogInterval;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private Task _watchdog = Task.CompletedTask;

    public SystemdIntegration(SystemdNotifier? notifier, TimeSpan? watchdogInterval, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(log);
        _notifier = notifier;
        _watchdogInterval = notifier is null ? null : watchdogInterval;
        _log = log;
        if (notifier is not null)
        {
            SystemdLog.Notifying(log, notifier.Address, (long)(_watchdogInterval?.TotalMilliseconds ?? 0));
        }
    }

    public static SystemdIntegration FromEnvironment(ILogger log) =>
        new(SystemdNotifier.FromEnvironment(), WatchdogSettings.FromEnvironment(), log);

    public bool Enabled => _notifier is not null;

    public void Ready(string status)
    {
        if (_notifier is null)
        {
            return;
        }

        Report(_notifier.Ready(status));
        if (_watchdogInterval is { } interval && _watchdog.IsCompleted)
        {
            _watchdog = PingAsync(interval, _stop.Token);
        }
    }

    public void Reloading() => Report(_notifier?.Reloading());

    public void Stopping(string status, TimeSpan? extendTimeout = null) => Report(_notifier?.Stopping(status, extendTimeout));

    private async Task PingAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            // First ping at once: the timeout started counting when the process did.
            do
            {
                Report(_notifier!.Watchdog());
            }
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private void Report(string? error)
    {
        if (error is not null)
        {
            SystemdLog.NotifyFailed(_log, error);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _watchdog.ConfigureAwait(false);
        _stop.Dispose();
        _notifier?.Dispose();
    }
}
