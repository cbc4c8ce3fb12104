using System.Net;
using MmProxy.ProxyProtocol;

namespace MmProxy.Tcp.EventLoop;

/// <summary>
/// The state of one proxied connection on a <see cref="TcpEventLoop"/>. Pooled by the loop (one
/// object per slot, reused with a new <see cref="Generation"/> so stale epoll events are ignored);
/// only the loop thread touches it.
/// </summary>
internal sealed class TcpLoopConnection
{
    public TcpLoopConnection(int slot)
    {
        Slot = slot;
        PhaseDeadline = new DeadlineNode(this);
        IdleDeadline = new DeadlineNode(this);
        ToUpstream = new LoopDirection(RelayDirection.ToUpstream);
        ToClient = new LoopDirection(RelayDirection.ToClient);
    }

    public int Slot { get; }

    public uint Generation { get; set; }

    public TcpLoopPhase Phase { get; set; }

    public int ClientFd { get; set; } = -1;

    public int UpstreamFd { get; set; } = -1;

    /// <summary>The epoll interest registered for each descriptor; <see cref="NotRegistered"/> when not added.</summary>
    public uint ClientEvents { get; set; } = NotRegistered;

    public uint UpstreamEvents { get; set; } = NotRegistered;

    public const uint NotRegistered = uint.MaxValue;

    /// <summary>The load balancer's address (allocated once per connection: logs, allow list, target choice).</summary>
    public IPEndPoint Peer { get; set; } = null!;

    /// <summary>Stopwatch timestamp of the accept (durations in logs).</summary>
    public long Started { get; set; }

    /// <summary>Header bytes so far when they did not come in one read (rented; null otherwise).</summary>
    public byte[]? HeaderBuffer { get; set; }

    public int HeaderReceived { get; set; }

    /// <summary>The header's source (logs).</summary>
    public ProxyAddress Source { get; set; }

    /// <summary>The header's source as an endpoint, or null without a client address.</summary>
    public IPEndPoint? ClientEndPoint { get; set; }

    public IPEndPoint Target { get; set; } = null!;

    /// <summary>The address the upstream socket binds (the client's, port 0 after a fallback), or null.</summary>
    public IPEndPoint? BindSource { get; set; }

    public long ConnectStarted { get; set; }

    /// <summary>Loop clock (ms) of the last byte read from either side (idle timeout).</summary>
    public long LastActivity { get; set; }

    public DeadlineNode PhaseDeadline { get; }

    public DeadlineNode IdleDeadline { get; }

    public LoopDirection ToUpstream { get; }

    public LoopDirection ToClient { get; }

    /// <summary>Clears the per-connection state for the next use of the slot.</summary>
    public void Reset()
    {
        Generation++;
        Phase = TcpLoopPhase.Free;
        ClientFd = -1;
        UpstreamFd = -1;
        ClientEvents = NotRegistered;
        UpstreamEvents = NotRegistered;
        Peer = null!;
        HeaderBuffer = null;
        HeaderReceived = 0;
        Source = default;
        ClientEndPoint = null;
        Target = null!;
        BindSource = null;
        ToUpstream.Reset();
        ToClient.Reset();
    }
}
