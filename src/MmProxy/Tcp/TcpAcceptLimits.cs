using System.Net;
using Microsoft.Extensions.Logging;
using MmProxy.Diagnostics;
using MmProxy.Hosting;
using MmProxy.Interop;

namespace MmProxy.Tcp;

/// <summary>
/// What the accept phase of every loop of one listener shares: the descriptor budget and the
/// rate-limited warnings. Accepting pauses while the open connections would use up the open file
/// limit: the runtime cannot start a thread without free descriptors and aborts the process
/// ("Out of memory.") when a timer or pool thread fails to start; the connections wait in the
/// listen backlog instead. Thread-safe (every loop of the listener calls it).
/// </summary>
internal sealed class TcpAcceptLimits
{
    private readonly IPEndPoint _endPoint;
    private readonly ILogger _log;
    private readonly LogRateLimiter _acceptErrors;
    private readonly LogRateLimiter _budget;
    private readonly long _descriptorLimit;

    public TcpAcceptLimits(IPEndPoint endPoint, ILogger log, TimeProvider time)
    {
        _endPoint = endPoint;
        _log = log;
        _acceptErrors = new LogRateLimiter(time, TimeSpan.FromSeconds(1));
        _budget = new LogRateLimiter(time, TimeSpan.FromSeconds(1));
        if (KernelLimits.FreeDescriptors(KernelLimits.DescriptorReserve) is { } free)
        {
            // Two descriptors per connection (client, upstream), after what is open now and the reserve.
            _descriptorLimit = KernelLimits.MaxOpenFiles() ?? 0;
            MaxActive = Math.Max(1, free / 2);
        }
    }

    /// <summary>The most connections open at once before accepting pauses.</summary>
    public long MaxActive { get; } = long.MaxValue;

    /// <summary>An accept error from resource exhaustion, at most one line a second (the suppressed ones counted in the next).</summary>
    public void AcceptFailed(Errno errno, int backoffMs)
    {
        if (!_acceptErrors.TryEnter(out long suppressed))
        {
            return;
        }

        string what = errno is Errno.EMFILE or Errno.ENFILE
            ? errno.Describe() + ": raise the open file limit (LimitNOFILE= in the systemd unit, or ulimit -n)"
            : errno.Describe();
        ProxyLog.AcceptFailed(_log, _endPoint, what, backoffMs, suppressed);
    }

    /// <summary>Accepting paused at the budget (polled every few milliseconds meanwhile): one line a second at most.</summary>
    public void BudgetReached(long active)
    {
        if (_budget.TryEnter(out _))
        {
            ProxyLog.DescriptorBudgetReached(_log, active, _endPoint, _descriptorLimit, KernelLimits.DescriptorReserve);
        }
    }
}
