// SPDX-License-Identifier: GPL-2.0
/*
 * runtimes_test's Java workload: two threads take two monitors in opposite
 * orders with synchronized (ABBA). Each prints "tid=N" (its kernel TID,
 * from /proc/thread-self) once it holds its first monitor; a latch then
 * lets both go for the second. The main thread prints "blocked" once the
 * JVM itself says both are BLOCKED on a monitor, then joins them.
 */
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.concurrent.CountDownLatch;

public class RtJava {
	static final Object a = new Object(), b = new Object();
	static final CountDownLatch both = new CountDownLatch(2);

	static String tid() throws Exception {
		String s = Files.readSymbolicLink(Paths.get("/proc/thread-self")).toString();
		return s.substring(s.lastIndexOf('/') + 1);
	}

	static void takeInOrder(Object first, Object second) {
		try {
			synchronized (first) {
				System.out.println("tid=" + tid());
				System.out.flush();
				both.countDown();
				both.await();
				synchronized (second) {
					System.out.println("not deadlocked");
				}
			}
		} catch (Exception e) {
			System.out.println("error " + e);
		}
	}

	public static void main(String[] args) throws Exception {
		Thread t1 = new Thread(() -> takeInOrder(a, b), "rt-java-ab");
		Thread t2 = new Thread(() -> takeInOrder(b, a), "rt-java-ba");

		t1.start();
		t2.start();
		while (t1.getState() != Thread.State.BLOCKED ||
		       t2.getState() != Thread.State.BLOCKED)
			Thread.onSpinWait();
		System.out.println("blocked");
		System.out.flush();
		t1.join();
	}
}
