using System.Net.Sockets;

namespace MmProxy.Tcp;

/// <summary>
/// Moves one direction of a relay until the source ends. Stateless (one instance serves every
/// connection); per-connection state lives in <see cref="TcpRelay"/>. The copy pump is the first
/// implementation; a splice(2) pump can replace it without touching the relay's semantics.
/// </summary>
internal abstract class RelayPump
{
    /// <summary>
    /// Copies from <paramref name="source"/> to <paramref name="destination"/> until the source sends
    /// FIN (then shuts down the destination's sending side) or either socket fails. Reports every
    /// chunk moved to <paramref name="relay"/> (byte counts and idle tracking). Never throws for
    /// socket failures.
    /// </summary>
    public abstract ValueTask<PumpResult> RunAsync(Socket source, Socket destination, RelayDirection direction, TcpRelay relay);
}
