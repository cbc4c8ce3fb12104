using MmProxy.Interop;

namespace MmProxy.Tcp;

/// <summary>A bound upstream descriptor, or why there is none (expected failures are values).</summary>
internal readonly record struct UpstreamBindResult(int Fd, SocketSetupError Error, int Errno, string? Step)
{
    public bool Succeeded => Error == SocketSetupError.None;

    /// <summary>The client's port is reserved by connect() (IP_LOCAL_PORT_RANGE), not bound: see <see cref="UpstreamBinder"/>.</summary>
    public bool PortAtConnect { get; init; }

    public static UpstreamBindResult Success(int fd) => new(fd, SocketSetupError.None, 0, null);

    public static UpstreamBindResult Failure(SocketSetupError error, int errno, string step) => new(-1, error, errno, step);

    /// <summary>A one-line description with the fix (the same text as <see cref="SocketSetupResult.Describe"/>).</summary>
    public string Describe() => Succeeded ? "ok" : SocketSetupResult.Failure(Error, Errno, Step!).Describe();
}
