namespace MmProxy.Interop;

/// <summary>A prepared socket's descriptor, or why it could not be prepared (expected failures are values).</summary>
internal readonly record struct SocketSetupResult(int Fd, SocketSetupError Error, Errno Errno, string? Step)
{
    public bool Succeeded => Error == SocketSetupError.None;

    /// <summary>The client's port is to be reserved by connect() (IP_LOCAL_PORT_RANGE), not bound: see <see cref="TransparentSocket"/>.</summary>
    public bool PortAtConnect { get; init; }

    public static SocketSetupResult Success(int fd) => new(fd, SocketSetupError.None, Errno.Success, null);

    public static SocketSetupResult Failure(SocketSetupError error, Errno errno, string step) => new(-1, error, errno, step);

    /// <summary>A one-line description with the fix, for logs and startup errors.</summary>
    public string Describe() => Error switch
    {
        SocketSetupError.None => "ok",
        SocketSetupError.TransparentNotPermitted =>
            $"{Step} failed: {Errno.Describe()}: run as root or grant CAP_NET_ADMIN (for example setcap cap_net_admin+ep, or AmbientCapabilities=CAP_NET_ADMIN in the systemd unit)",
        SocketSetupError.MarkNotPermitted =>
            $"{Step} failed: {Errno.Describe()}: setting -mark needs CAP_NET_ADMIN: run as root or grant CAP_NET_ADMIN",
        _ when Errno is Errno.EMFILE or Errno.ENFILE =>
            $"{Step} failed: {Errno.Describe()}: raise the open file limit (LimitNOFILE= in the systemd unit, or ulimit -n)",
        _ => $"{Step} failed: {Errno.Describe()}",
    };
}
