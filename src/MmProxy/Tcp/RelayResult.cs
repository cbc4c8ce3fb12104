using System.Net.Sockets;

namespace MmProxy.Tcp;

/// <summary>How a relay ended: both directions' results, bytes moved each way, and why it was cut.</summary>
internal readonly record struct RelayResult(
    PumpResult ToUpstream,
    PumpResult ToClient,
    long BytesToUpstream,
    long BytesToClient,
    bool IdleTimedOut)
{
    /// <summary>Both directions ended with FIN.</summary>
    public bool Completed => ToUpstream.Outcome == PumpOutcome.Completed && ToClient.Outcome == PumpOutcome.Completed;

    /// <summary>The side whose failure ended the relay ("client" or "upstream"), or null.</summary>
    public string? FailedSide => ToUpstream.Outcome switch
    {
        PumpOutcome.SourceFailed => "client",
        PumpOutcome.DestinationFailed => "upstream",
        _ => ToClient.Outcome switch
        {
            PumpOutcome.SourceFailed => "upstream",
            PumpOutcome.DestinationFailed => "client",
            _ => null,
        },
    };

    public SocketError FailureError =>
        ToUpstream.Outcome is PumpOutcome.SourceFailed or PumpOutcome.DestinationFailed ? ToUpstream.Error : ToClient.Error;
}
