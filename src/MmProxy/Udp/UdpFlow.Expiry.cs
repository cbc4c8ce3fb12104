using Microsoft.Extensions.Logging;
using MmProxy.Diagnostics;

namespace MmProxy.Udp;

/// <summary>
/// Exact expiry: one timer per flow, due when the flow would have been idle for --close-after. When
/// it fires early because traffic came meanwhile, it is re-armed for the remainder, so a flow closes
/// exactly close-after after its last datagram in either direction (not between 1x and 2x, as with
/// a periodic sweep), and traffic costs a timestamp write, not a timer change.
/// </summary>
internal sealed partial class UdpFlow
{
    private static readonly TimerCallback s_onTimer = static state => ((UdpFlow)state!).OnTimer();
    private ITimer? _timer;

    private void StartTimer()
    {
        lock (_gate)
        {
            if (!_closed)
            {
                _timer = _context.Time.CreateTimer(s_onTimer, this, _context.CloseAfter, Timeout.InfiniteTimeSpan);
            }
        }
    }

    private void OnTimer()
    {
        TimeSpan idle;
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            idle = _context.Time.GetElapsedTime(_lastActivity);
            TimeSpan remaining = _context.CloseAfter - idle;
            if (remaining > TimeSpan.Zero)
            {
                _timer!.Change(remaining, Timeout.InfiniteTimeSpan);
                return;
            }

            _closed = true;
        }

        _owner.Remove(this);
        _context.Counters.OnFlowExpired();
        ReleaseResources();
        if (_context.Log.IsEnabled(LogLevel.Debug))
        {
            UdpLog.FlowExpired(_context.Log, new LoggedAddress(Key.Balancer), new LoggedAddress(Key.Client), Target,
                (long)idle.TotalMilliseconds, DatagramsToUpstream, DatagramsToClient);
        }
    }
}
