using System.Net;

namespace MmProxy.Tcp;

/// <summary>
/// Where to connect and from which address: <see cref="Source"/> null means no spoofing (LOCAL,
/// UNKNOWN, UNSPEC). <see cref="Error"/> non-null means the client cannot be served.
/// </summary>
internal readonly record struct TargetSelection(IPEndPoint? Target, IPEndPoint? Source, string? Error)
{
    public bool Succeeded => Error is null;

    public bool Spoofed => Source is not null;
}
