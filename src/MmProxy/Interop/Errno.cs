namespace MmProxy.Interop;

/// <summary>
/// The Linux errno values the daemon acts on or names. Read inside <c>Interop/</c> right after the
/// call that set them; the numbers are the generic Linux ones, the same on x86-64 and arm64.
/// </summary>
internal enum Errno
{
    Success = 0,
    EPERM = 1,
    ENOENT = 2,
    EINTR = 4,
    EIO = 5,
    EBADF = 9,
    EAGAIN = 11,
    ENOMEM = 12,
    EACCES = 13,
    EINVAL = 22,
    ENFILE = 23,
    EMFILE = 24,
    EPIPE = 32,
    ENONET = 64,
    EPROTO = 71,
    ENOTSOCK = 88,
    ENOPROTOOPT = 92,
    EOPNOTSUPP = 95,
    EAFNOSUPPORT = 97,
    EADDRINUSE = 98,
    EADDRNOTAVAIL = 99,
    ENETDOWN = 100,
    ENETUNREACH = 101,
    ECONNABORTED = 103,
    ECONNRESET = 104,
    ENOBUFS = 105,
    ENOTCONN = 107,
    ETIMEDOUT = 110,
    ECONNREFUSED = 111,
    EHOSTDOWN = 112,
    EHOSTUNREACH = 113,
    EINPROGRESS = 115,
}
