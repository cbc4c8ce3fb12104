using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace MmProxy.Interop;

/// <summary>Names for messages, and the errno behind a managed socket error.</summary>
internal static class ErrnoExtensions
{
    /// <summary>"EPERM (Operation not permitted)"; unknown values as "errno 123 (...)".</summary>
    public static string Describe(this Errno errno)
    {
        string name = Enum.IsDefined(errno) ? errno.ToString() : "errno " + ((int)errno).ToString(CultureInfo.InvariantCulture);
        return $"{name} ({Marshal.GetPInvokeErrorMessage((int)errno)})";
    }

    /// <summary>The call would block (EAGAIN) or was interrupted (EINTR): try again later, not a failure.</summary>
    public static bool IsTransient(this Errno errno) => errno is Errno.EAGAIN or Errno.EINTR;

    /// <summary>The errno behind a managed socket error (the runtime maps errno to SocketError on Unix); 0 if none.</summary>
    public static Errno FromSocketError(SocketError error) => error switch
    {
        SocketError.AccessDenied => Errno.EACCES,
        SocketError.AddressAlreadyInUse => Errno.EADDRINUSE,
        SocketError.AddressNotAvailable => Errno.EADDRNOTAVAIL,
        SocketError.ConnectionRefused => Errno.ECONNREFUSED,
        SocketError.ConnectionReset => Errno.ECONNRESET,
        SocketError.ConnectionAborted => Errno.ECONNABORTED,
        SocketError.TimedOut => Errno.ETIMEDOUT,
        SocketError.NetworkUnreachable => Errno.ENETUNREACH,
        SocketError.HostUnreachable => Errno.EHOSTUNREACH,
        SocketError.TooManyOpenSockets => Errno.EMFILE,
        SocketError.NoBufferSpaceAvailable => Errno.ENOBUFS,
        SocketError.InvalidArgument => Errno.EINVAL,
        SocketError.Shutdown => Errno.EPIPE,
        _ => Errno.Success,
    };

    /// <summary>The managed socket error for an errno (what relay outcomes and logs report).</summary>
    public static SocketError ToSocketError(this Errno errno) => errno switch
    {
        Errno.EBADF => SocketError.OperationAborted,
        Errno.EPIPE => SocketError.Shutdown,
        Errno.ECONNABORTED => SocketError.ConnectionAborted,
        Errno.ECONNRESET => SocketError.ConnectionReset,
        Errno.ENOTCONN => SocketError.NotConnected,
        Errno.ETIMEDOUT => SocketError.TimedOut,
        Errno.EHOSTUNREACH => SocketError.HostUnreachable,
        Errno.ENETUNREACH => SocketError.NetworkUnreachable,
        Errno.ENOMEM or Errno.ENOBUFS => SocketError.NoBufferSpaceAvailable,
        _ => SocketError.SocketError,
    };

    /// <summary>Describes a managed socket error by its errno where there is one.</summary>
    public static string Describe(SocketError error)
    {
        Errno errno = FromSocketError(error);
        return errno != Errno.Success ? errno.Describe() : error.ToString();
    }
}
