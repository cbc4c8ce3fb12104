using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace MmProxy.Interop;

/// <summary>Linux errno values we act on, and their names for messages.</summary>
internal static class Errno
{
    public const int EPERM = 1;
    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int ENOMEM = 12;
    public const int EACCES = 13;
    public const int EINVAL = 22;
    public const int ENFILE = 23;
    public const int EMFILE = 24;
    public const int EPIPE = 32;
    public const int ENOPROTOOPT = 92;
    public const int EADDRINUSE = 98;
    public const int EADDRNOTAVAIL = 99;
    public const int ENETUNREACH = 101;
    public const int ECONNABORTED = 103;
    public const int ECONNRESET = 104;
    public const int ENOBUFS = 105;
    public const int ETIMEDOUT = 110;
    public const int ECONNREFUSED = 111;
    public const int EHOSTUNREACH = 113;
    public const int EINPROGRESS = 115;

    /// <summary>"EPERM (Operation not permitted)"; unknown values as "errno 123 (...)".</summary>
    public static string Describe(int errno)
    {
        string name = errno switch
        {
            EPERM => "EPERM",
            EINTR => "EINTR",
            EAGAIN => "EAGAIN",
            ENOMEM => "ENOMEM",
            EACCES => "EACCES",
            EINVAL => "EINVAL",
            ENFILE => "ENFILE",
            EMFILE => "EMFILE",
            EPIPE => "EPIPE",
            ENOPROTOOPT => "ENOPROTOOPT",
            EADDRINUSE => "EADDRINUSE",
            EADDRNOTAVAIL => "EADDRNOTAVAIL",
            ENETUNREACH => "ENETUNREACH",
            ECONNABORTED => "ECONNABORTED",
            ECONNRESET => "ECONNRESET",
            ENOBUFS => "ENOBUFS",
            ETIMEDOUT => "ETIMEDOUT",
            ECONNREFUSED => "ECONNREFUSED",
            EHOSTUNREACH => "EHOSTUNREACH",
            EINPROGRESS => "EINPROGRESS",
            _ => "errno " + errno.ToString(CultureInfo.InvariantCulture),
        };
        return $"{name} ({Marshal.GetPInvokeErrorMessage(errno)})";
    }

    /// <summary>The errno behind a managed socket error (the runtime maps errno to SocketError on Unix).</summary>
    public static int FromSocketError(SocketError error) => error switch
    {
        SocketError.AccessDenied => EACCES,
        SocketError.AddressAlreadyInUse => EADDRINUSE,
        SocketError.AddressNotAvailable => EADDRNOTAVAIL,
        SocketError.ConnectionRefused => ECONNREFUSED,
        SocketError.ConnectionReset => ECONNRESET,
        SocketError.ConnectionAborted => ECONNABORTED,
        SocketError.TimedOut => ETIMEDOUT,
        SocketError.NetworkUnreachable => ENETUNREACH,
        SocketError.HostUnreachable => EHOSTUNREACH,
        SocketError.TooManyOpenSockets => EMFILE,
        SocketError.NoBufferSpaceAvailable => ENOBUFS,
        SocketError.InvalidArgument => EINVAL,
        SocketError.Shutdown => EPIPE,
        _ => 0,
    };
}
