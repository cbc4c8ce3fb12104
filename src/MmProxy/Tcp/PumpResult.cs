using System.Net.Sockets;

namespace MmProxy.Tcp;

/// <summary>The end of one relay direction: the outcome and the socket error behind a failure.</summary>
internal readonly record struct PumpResult(PumpOutcome Outcome, SocketError Error)
{
    public static PumpResult Completed => new(PumpOutcome.Completed, SocketError.Success);

    public static PumpResult Aborted => new(PumpOutcome.Aborted, SocketError.OperationAborted);
}
