using System.Runtime.InteropServices;

namespace MmProxy.Interop;

/// <summary>
/// libc socket calls on raw descriptors, for the native event loops (which own their descriptors
/// and never hand them to the runtime's socket engine: a descriptor registered there too would wake
/// its epoll thread for every event). Classic DllImport with SetLastError; callers read
/// Marshal.GetLastPInvokeError() right after each call. Addresses are raw sockaddr bytes
/// (<see cref="NativeSocketAddress"/>).
/// </summary>
internal static unsafe class SocketNativeMethods
{
    private const string LibC = "libc";

    public const int AfInet = 2;
    public const int AfInet6 = 10;
    public const int SockStream = 1;
    public const int SockDgram = 2;
    public const int SockNonBlock = 0x800;
    public const int SockCloExec = 0x80000;
    public const int ShutRd = 0;
    public const int ShutWr = 1;
    public const int MsgDontWait = 0x40;
    public const int MsgNoSignal = 0x4000;
    public const int Fionread = 0x541B;
    public const int SoError = 4;
    public const int SoLinger = 13;
    public const int TcpInfo = 11;

    [DllImport(LibC, EntryPoint = "socket", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int Socket(int domain, int type, int protocol);

    [DllImport(LibC, EntryPoint = "bind", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int Bind(int fd, byte* address, uint addressLength);

    [DllImport(LibC, EntryPoint = "connect", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int Connect(int fd, byte* address, uint addressLength);

    [DllImport(LibC, EntryPoint = "accept4", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int Accept4(int fd, byte* address, uint* addressLength, int flags);

    [DllImport(LibC, EntryPoint = "getsockname", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int GetSockName(int fd, byte* address, uint* addressLength);

    [DllImport(LibC, EntryPoint = "getpeername", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int GetPeerName(int fd, byte* address, uint* addressLength);

    [DllImport(LibC, EntryPoint = "recv", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern nint Recv(int fd, byte* buffer, nuint length, int flags);

    [DllImport(LibC, EntryPoint = "send", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern nint Send(int fd, byte* buffer, nuint length, int flags);

    [DllImport(LibC, EntryPoint = "sendto", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern nint SendTo(int fd, byte* buffer, nuint length, int flags, byte* address, uint addressLength);

    [DllImport(LibC, EntryPoint = "shutdown", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int Shutdown(int fd, int how);

    [DllImport(LibC, EntryPoint = "setsockopt", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int SetSockOpt(int fd, int level, int optionName, void* optionValue, uint optionLength);

    [DllImport(LibC, EntryPoint = "getsockopt", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int GetSockOpt(int fd, int level, int optionName, void* optionValue, uint* optionLength);

    [DllImport(LibC, EntryPoint = "ioctl", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int Ioctl(int fd, nuint request, int* argument);

    /// <summary>setsockopt with an int value: 0 or the errno.</summary>
    public static int SetInt(int fd, int level, int optionName, int value)
    {
        int v = value;
        return SetSockOpt(fd, level, optionName, &v, sizeof(int)) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>getsockopt with an int value: 0 or the errno.</summary>
    public static int GetInt(int fd, int level, int optionName, out int value)
    {
        int v = 0;
        uint length = sizeof(int);
        int rc = GetSockOpt(fd, level, optionName, &v, &length);
        value = v;
        return rc == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>SO_LINGER {on, 0}: the next close sends RST instead of FIN.</summary>
    public static int SetLingerZero(int fd)
    {
        int* linger = stackalloc int[2];
        linger[0] = 1;
        linger[1] = 0;
        return SetSockOpt(fd, LinuxSocketOptions.SolSocket, SoLinger, linger, 2 * sizeof(int)) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }
}
