using System.Runtime.InteropServices;

namespace MmProxy.Interop;

/// <summary>
/// libc entry points for the native event loops: epoll and eventfd. Classic DllImport with
/// SetLastError (LibraryImport returned a wrong errno under tiered compilation here); callers read
/// Marshal.GetLastPInvokeError() right after each call.
/// </summary>
internal static unsafe class EpollNativeMethods
{
    private const string LibC = "libc";

    public const int EpollCloExec = 0x80000;
    public const int EpollCtlAdd = 1;
    public const int EpollCtlDel = 2;
    public const int EpollCtlMod = 3;
    public const int EfdCloExec = 0x80000;
    public const int EfdNonBlock = 0x800;

    [DllImport(LibC, EntryPoint = "epoll_create1", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int EpollCreate1(int flags);

    [DllImport(LibC, EntryPoint = "epoll_ctl", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int EpollCtl(int epfd, int op, int fd, EpollEvent* ev);

    [DllImport(LibC, EntryPoint = "epoll_wait", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int EpollWait(int epfd, EpollEvent* events, int maxEvents, int timeoutMs);

    [DllImport(LibC, EntryPoint = "eventfd", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int EventFd(uint initval, int flags);
}
