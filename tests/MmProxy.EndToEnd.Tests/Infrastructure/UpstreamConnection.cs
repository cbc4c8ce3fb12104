using System.Net;
using System.Net.Sockets;

namespace MmProxy.EndToEnd.Tests.Infrastructure;

/// <summary>One connection the test upstream accepted, with what its handler observed.</summary>
internal sealed class UpstreamConnection
{
    public UpstreamConnection(Socket socket)
    {
        Socket = socket;
        Remote = (IPEndPoint)socket.RemoteEndPoint!;
        Local = (IPEndPoint)socket.LocalEndPoint!;
    }

    public Socket Socket { get; }

    /// <summary>Who connected: with a working mmproxy, the original client's address and port.</summary>
    public IPEndPoint Remote { get; }
    public IPEndPoint Local { get; }

    /// <summary>What the handler received (set by the stock handlers).</summary>
    public ReceiveResult? Received { get; set; }

    /// <summary>Completes when the handler finishes; faults with the handler's exception.</summary>
    public Task Completion { get; internal set; } = Task.CompletedTask;

    public async Task WaitAsync(TimeSpan? timeout = null) =>
        await Completion.WaitAsync(timeout ?? TestNetwork.DefaultTimeout);

    public override string ToString() =>
        $"{Remote} -> {Local}" + (Received is { } r ? $" received {r.Bytes} B, end {r.End} {r.Error}" : "");
}
