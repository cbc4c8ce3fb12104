using System.Net.Sockets;

namespace MmProxy.Interop;

/// <summary>A prepared socket, or why it could not be prepared (expected failures are values).</summary>
internal readonly struct SocketSetupResult
{
    private SocketSetupResult(Socket? socket, SocketSetupError error, int errno, string? step)
    {
        Socket = socket;
        Error = error;
        Errno = errno;
        Step = step;
    }

    public Socket? Socket { get; }

    public SocketSetupError Error { get; }

    public int Errno { get; }

    /// <summary>The failing operation, e.g. "setsockopt(IP_TRANSPARENT)".</summary>
    public string? Step { get; }

    public bool Succeeded => Socket is not null;

    public static SocketSetupResult Success(Socket socket) => new(socket, SocketSetupError.None, 0, null);

    public static SocketSetupResult Failure(SocketSetupError error, int errno, string step) => new(null, error, errno, step);

    /// <summary>A one-line description with the fix, for logs and startup errors.</summary>
    public string Describe() => Error switch
    {
        SocketSetupError.None => "ok",
        SocketSetupError.TransparentNotPermitted =>
            $"{Step} failed: {Interop.Errno.Describe(Errno)}: run as root or grant CAP_NET_ADMIN (for example setcap cap_net_admin+ep, or AmbientCapabilities=CAP_NET_ADMIN in the systemd unit)",
        SocketSetupError.MarkNotPermitted =>
            $"{Step} failed: {Interop.Errno.Describe(Errno)}: setting -mark needs CAP_NET_ADMIN: run as root or grant CAP_NET_ADMIN",
        _ when Errno is Interop.Errno.EMFILE or Interop.Errno.ENFILE =>
            $"{Step} failed: {Interop.Errno.Describe(Errno)}: raise the open file limit (LimitNOFILE= in the systemd unit, or ulimit -n)",
        _ => $"{Step} failed: {Interop.Errno.Describe(Errno)}",
    };
}
